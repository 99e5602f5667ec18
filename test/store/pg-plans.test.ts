import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
// node-postgres's own conversion of a parameter (arrays to array literals); the module has no types.
// @ts-expect-error
import { prepareValue as pgPrepareValue } from 'pg/lib/utils.js';
import type { Store } from '../../src/store/db.js';
import { type Rotation, rotateInOneStatement } from '../../src/store/repos/refresh-rotation.js';
import {
  consumeRefreshToken,
  insertRefreshToken,
  revokeFamily,
  revokeUserRefreshTokens,
  touchRefreshToken,
} from '../../src/store/repos/refresh-tokens.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { insertEvent } from '../../src/store/repos/events.js';
import { findUserForLogin } from '../../src/store/repos/login-read.js';
import { findRefreshTokenForGrant } from '../../src/store/repos/refresh-read.js';
import { upsertUser } from '../../src/store/repos/users.js';
import { type SentStatement, spyOnPgStatements } from '../helpers/pg-spy.js';
import { storeKinds } from '../helpers/stores.js';
import { refreshTokenRow as token, T0 } from './contract.js';

/**
 * PostgreSQL's plans of the hot writes on refresh_tokens must read their rows
 * by key whatever the statistics say. The retention indexes (revoked_at,
 * expires_at, idle_expires_at) once let the planner answer `revoked_at IS
 * NULL` from the revoked_at index: with statistics taken while the table held
 * few live tokens (a new deployment, before autovacuum's next ANALYZE) a
 * rotation's UPDATE then read every live token, 300 buffers instead of 20, a
 * cost that grew with the table (the benchmark's rotation cost 0.8 ms of
 * PostgreSQL instead of 0.04). Each statement is planned here as a prepared
 * statement's generic plan, the one PostgreSQL settles on for the hot
 * path's named statements (store/pg-pool.ts).
 */
const kind = storeKinds.find((k) => k.name === 'postgres');

const prepareValue = pgPrepareValue as (v: unknown) => string | null;

describe('PostgreSQL plans the hot refresh-token writes by key, whatever its statistics', {
  skip: !kind,
}, () => {
  let store: Store;
  let spy: ReturnType<typeof spyOnPgStatements>;
  let n = 0;

  before(async () => {
    store = await kind!.open();
    // Statistics that say no token is live: ANALYZE while every token is revoked, then no more.
    await sql`ALTER TABLE refresh_tokens SET (autovacuum_enabled = false)`.execute(store.db);
    for (let i = 0; i < 20; i++) await insertRefreshToken(store.db, token(`rt_old${i}`, { revoked_at: T0 }));
    await sql`ANALYZE refresh_tokens`.execute(store.db);
    const live = Array.from({ length: 3000 }, (_, i) => token(`rt_live${String(i).padStart(4, '0')}`));
    for (let i = 0; i < live.length; i += 500) {
      await Promise.all(live.slice(i, i + 500).map((row) => insertRefreshToken(store.db, row)));
    }
    await consumeRefreshToken(store.db, 'rt_live0000', { id: 'rt_live0001', sealed: 'sealed' }, T0 + 1);
    spy = spyOnPgStatements();
  });
  after(async () => {
    spy.restore();
    await store.close();
  });

  /** The generic plan of every statement `write` sends, as PostgreSQL's JSON plan. */
  async function genericPlans(write: () => Promise<unknown>): Promise<string[]> {
    spy.start();
    let statements: SentStatement[];
    try {
      await write();
    } finally {
      statements = spy.stop();
    }
    assert.ok(statements.length > 0, 'the write sent no statement');
    const schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(store.db)).rows[0]!.s;
    const client = new pg.Client({
      connectionString: process.env.TESSERA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    });
    await client.connect();
    try {
      await client.query(`SET search_path = ${schema}`);
      await client.query('SET plan_cache_mode = force_generic_plan');
      const plans: string[] = [];
      for (const { text, values } of statements) {
        const name = `plan_${++n}`;
        await client.query(`PREPARE ${name} AS ${text}`);
        const literal = (v: unknown) => {
          const prepared = prepareValue(v);
          return prepared === null ? 'NULL' : client.escapeLiteral(String(prepared));
        };
        const args = values.length ? `(${values.map(literal).join(', ')})` : '';
        const res = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${args}`);
        plans.push(JSON.stringify(res.rows[0]['QUERY PLAN']));
      }
      return plans;
    } finally {
      await client.end();
    }
  }

  /** Asserts that no plan reads refresh_tokens through a retention index (and, `byId`, that each reads it by its primary key). */
  function byKey(plans: string[], byId = true) {
    for (const plan of plans) {
      for (const index of [
        'refresh_tokens_revoked',
        'refresh_tokens_expires',
        'refresh_tokens_idle_expires',
      ]) {
        assert.ok(!plan.includes(`"${index}"`), `a retention index (${index}) in the plan:\n${plan}`);
      }
      if (byId)
        assert.ok(plan.includes('"Index Name":"refresh_tokens_pkey"'), `not by primary key:\n${plan}`);
    }
  }

  const rotation = (id: string, parentId: string | null, i: number): Rotation => ({
    id,
    parentId,
    now: T0 + 2,
    sealed: 'sealed',
    successor: token(`rt_next${i}`, { family_id: `fam-${id}`, parent_id: id }),
    event: { id: `ev_plan${i}`, date: T0 + 2, type: 'sertft' },
  });

  it('a rotation, alone (by primary key) and in a batch', async () => {
    byKey(
      await genericPlans(() => rotateInOneStatement(store.db, rotation('rt_live0001', 'rt_live0000', 1))),
    );
    byKey(
      await genericPlans(() =>
        Promise.all([
          rotateInOneStatement(store.db, rotation('rt_live0002', null, 2)),
          rotateInOneStatement(store.db, rotation('rt_live0003', null, 3)),
        ]),
      ),
    );
  });

  it("a non-rotating token's use, and the revocations of a family and of a user", async () => {
    byKey(await genericPlans(() => touchRefreshToken(store.db, 'rt_live0010', T0 + 3, T0 + 600)));
    byKey(await genericPlans(() => revokeFamily(store.db, 'fam-rt_live0011', T0 + 3)), false);
    byKey(await genericPlans(() => revokeUserRefreshTokens(store.db, 'auth0|nobody', T0 + 3)), false);
  });

  it("with the users' statistics from an empty table, the batches read refresh_tokens and users by index", async () => {
    await upsertConnection(
      store.db,
      { id: 'con_p', name: 'con_p', strategy: 'auth0', enabled_clients: [] },
      T0,
    );
    // Statistics that say there are no users: taken before any, then no more.
    await sql`ALTER TABLE users SET (autovacuum_enabled = false)`.execute(store.db);
    await sql`ANALYZE users`.execute(store.db);
    for (let i = 0; i < 3000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) =>
          upsertUser(
            store.db,
            {
              user_id: `auth0|u${i + j}`,
              connection_id: 'con_p',
              email: `u${i + j}@x.test`,
              email_verified: true,
            },
            T0,
          ),
        ),
      );
    }
    await sql`ANALYZE refresh_tokens`.execute(store.db);
    const plans = [
      ...(await genericPlans(() =>
        Promise.all([
          rotateInOneStatement(store.db, rotation('rt_live0020', null, 20)),
          rotateInOneStatement(store.db, rotation('rt_live0021', null, 21)),
        ]),
      )),
      ...(await genericPlans(() =>
        Promise.all([
          findRefreshTokenForGrant(store.db, 'hash-rt_live0030'),
          findRefreshTokenForGrant(store.db, 'hash-rt_live0031'),
        ]),
      )),
      ...(await genericPlans(() =>
        Promise.all([
          findUserForLogin(store.db, 'con_p', 'u1@x.test', undefined),
          findUserForLogin(store.db, 'con_p', 'u2@x.test', undefined),
        ]),
      )),
      ...(await genericPlans(() =>
        Promise.all([
          insertEvent(store.db, { id: 'ev_p1', date: T0, type: 's' }, { userId: 'auth0|u1', at: T0 }),
          insertEvent(store.db, { id: 'ev_p2', date: T0, type: 's' }, { userId: 'auth0|u2', at: T0 }),
        ]),
      )),
    ];
    for (const plan of plans) {
      for (const table of ['refresh_tokens', 'users']) {
        assert.ok(
          !new RegExp(`"Node Type":"Seq Scan"[^}]*"Relation Name":"${table}"`).test(plan),
          `a scan of ${table}:\n${plan}`,
        );
      }
    }
  });
});
