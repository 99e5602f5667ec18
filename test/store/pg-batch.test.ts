import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/db.js';
import { remainingMs, withDeadline } from '../../src/store/deadline.js';
import { UniqueViolation } from '../../src/store/errors.js';
import { batched } from '../../src/store/pg-batch.js';
import { insertEvent, listEvents } from '../../src/store/repos/events.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { findUserForLogin } from '../../src/store/repos/login-read.js';
import { findRefreshTokenForGrant } from '../../src/store/repos/refresh-read.js';
import { findUserById, upsertUser } from '../../src/store/repos/users.js';
import { type Rotation, rotateInOneStatement } from '../../src/store/repos/refresh-rotation.js';
import {
  consumeRefreshToken,
  findRefreshTokenById,
  insertRefreshToken,
  revokeFamily,
} from '../../src/store/repos/refresh-tokens.js';
import { UnavailableError } from '../../src/store/unavailable.js';
import { spyOnPgStatements } from '../helpers/pg-spy.js';
import { storeKinds } from '../helpers/stores.js';
import { AWKWARD, awkwardUser, grantReaderAuthorization, refreshTokenRow as token, T0 } from './contract.js';

/**
 * PostgreSQL's batched statements (store/pg-batch.ts): what requests ask for
 * in the same turn goes as one statement, and each gets the answer it would
 * have had alone.
 */
const kind = storeKinds.find((k) => k.name === 'postgres');

describe('PostgreSQL batched statements', { skip: !kind }, () => {
  let store: Store;
  let spy: ReturnType<typeof spyOnPgStatements>;
  before(async () => {
    store = await kind!.open();
    spy = spyOnPgStatements();
  });
  after(async () => {
    spy.restore();
    await store.close();
  });

  /** Runs `body` and the statements it sent. */
  async function counting<T>(body: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    spy.start();
    try {
      const result = await body();
      return { result, statements: spy.stop().map((s) => s.text) };
    } finally {
      spy.stop();
    }
  }

  const rotation = (id: string, n: string, extra: Partial<Rotation> = {}): Rotation => ({
    id,
    parentId: null,
    now: T0 + 2,
    sealed: `sealed-${n}`,
    successor: token(n, { family_id: `fam-${id}`, parent_id: id, created_at: T0 + 2 }),
    event: { id: `ev_${n}`, date: T0 + 2, type: 'sertft', user_id: 'auth0|alice', details: { n } },
    ...extra,
  });

  it('rotations asked for in one turn are one statement, and write what each writes alone', async () => {
    // rt_b1 and rt_b2 are fresh; rt_b3c is a successor whose parent still keeps it sealed.
    await insertRefreshToken(store.db, token('rt_b1'));
    await insertRefreshToken(store.db, token('rt_b2'));
    await insertRefreshToken(store.db, token('rt_b3p', { family_id: 'fam-rt_b3c' }));
    await consumeRefreshToken(store.db, 'rt_b3p', { id: 'rt_b3c', sealed: 'sealed-b3c' }, T0 + 1);
    await insertRefreshToken(store.db, token('rt_b3c', { family_id: 'fam-rt_b3c', parent_id: 'rt_b3p' }));
    const rotations = [
      rotation('rt_b1', 'rt_b1n'),
      rotation('rt_b2', 'rt_b2n'),
      rotation('rt_b3c', 'rt_b3n', { parentId: 'rt_b3p' }),
    ];
    const { result, statements } = await counting(() =>
      Promise.all(rotations.map((r) => rotateInOneStatement(store.db, r))),
    );
    assert.deepEqual(result, [true, true, true]);
    assert.equal(statements.length, 1, statements.join('\n'));
    for (const r of rotations) {
      assert.deepEqual(await findRefreshTokenById(store.db, r.id), {
        ...token(r.id, r.id === 'rt_b3c' ? { family_id: 'fam-rt_b3c', parent_id: 'rt_b3p' } : {}),
        parent_id: r.parentId,
        rotated_at: T0 + 2,
        last_used_at: T0 + 2,
        replaced_by: r.successor.id,
        successor_enc: r.sealed,
      });
      assert.deepEqual(await findRefreshTokenById(store.db, r.successor.id), {
        ...r.successor,
        successor_enc: null,
      });
    }
    // The parent forgets its sealed successor (rt_b3c), which is used now.
    assert.equal((await findRefreshTokenById(store.db, 'rt_b3p'))?.successor_enc, null);
    const events = await listEvents(store.db, { type: 'sertft' });
    assert.deepEqual(
      events.map((e) => [e.id, e.user_id, e.details]).sort(),
      rotations.map((r) => [r.event.id, 'auth0|alice', { n: r.successor.id }]).sort(),
    );
  });

  it('in one batch: of two rotations of one token exactly one wins; a used or revoked token loses; the rest win', async () => {
    await insertRefreshToken(store.db, token('rt_c1'));
    await insertRefreshToken(store.db, token('rt_c2'));
    await insertRefreshToken(store.db, token('rt_c3'));
    await consumeRefreshToken(store.db, 'rt_c3', { id: 'rt_c3x', sealed: null }, T0 + 1);
    await insertRefreshToken(store.db, token('rt_c4'));
    await revokeFamily(store.db, 'fam-rt_c4', T0 + 1);
    const asked = [
      rotation('rt_c1', 'rt_c1a'),
      rotation('rt_c1', 'rt_c1b'),
      rotation('rt_c2', 'rt_c2n'),
      rotation('rt_c3', 'rt_c3n'),
      rotation('rt_c4', 'rt_c4n'),
    ];
    const won = await Promise.all(asked.map((r) => rotateInOneStatement(store.db, r)));
    assert.equal(won[0] !== won[1], true, `exactly one of the racing pair wins: ${won}`);
    assert.deepEqual(won.slice(2), [true, false, false]);
    const winner = won[0] ? 'rt_c1a' : 'rt_c1b';
    assert.equal((await findRefreshTokenById(store.db, 'rt_c1'))?.replaced_by, winner);
    for (const [i, r] of asked.entries()) {
      const written = await findRefreshTokenById(store.db, r.successor.id);
      assert.equal(written !== undefined, won[i], `${r.successor.id} written only if it won`);
    }
    const events = (await listEvents(store.db, { type: 'sertft' })).map((e) => e.id);
    for (const [i, r] of asked.entries()) assert.equal(events.includes(r.event.id), won[i], r.event.id);
  });

  it('a rotation that cannot be written fails alone: the batch falls back to one statement each', async () => {
    await insertRefreshToken(store.db, token('rt_d1'));
    await insertRefreshToken(store.db, token('rt_d2'));
    await insertEvent(store.db, { id: 'ev_d_taken', date: T0, type: 'sertft' });
    const good = rotation('rt_d1', 'rt_d1n');
    const bad = rotation('rt_d2', 'rt_d2n', {
      event: { id: 'ev_d_taken', date: T0 + 2, type: 'sertft' },
    });
    const { result, statements } = await counting(() =>
      Promise.allSettled([rotateInOneStatement(store.db, good), rotateInOneStatement(store.db, bad)]),
    );
    assert.deepEqual(result[0], { status: 'fulfilled', value: true });
    assert.equal(result[1].status, 'rejected');
    const err = (result[1] as PromiseRejectedResult).reason;
    assert.ok(err instanceof UniqueViolation, String(err));
    assert.equal(err.message, 'unique key violated: events(id)');
    // The batch, then each alone.
    assert.equal(statements.length, 3, statements.join('\n'));
    assert.equal((await findRefreshTokenById(store.db, 'rt_d2'))?.rotated_at, null);
    assert.equal(await findRefreshTokenById(store.db, 'rt_d2n'), undefined);
    assert.equal((await findRefreshTokenById(store.db, 'rt_d1n'))?.parent_id, 'rt_d1');
  });

  it("a turn's new refresh tokens are one INSERT; one whose hash is taken fails alone", async () => {
    await insertRefreshToken(store.db, token('rt_n0'));
    const rows = [
      token('rt_n1', { audience: null, expires_at: null, idle_expires_at: null }),
      token('rt_n2', { parent_id: 'rt_n0', scope: `openid ${AWKWARD.astral}` }),
      token('rt_n3'),
    ];
    const { statements } = await counting(() =>
      Promise.all(rows.map((r) => insertRefreshToken(store.db, r))),
    );
    assert.equal(statements.length, 1, statements.join('\n'));
    for (const r of rows) {
      assert.deepEqual(await findRefreshTokenById(store.db, r.id), {
        ...r,
        parent_id: r.parent_id ?? null,
        successor_enc: null,
      });
    }
    const answers = await Promise.allSettled([
      insertRefreshToken(store.db, token('rt_n4')),
      insertRefreshToken(store.db, { ...token('rt_n5'), token_hash: 'hash-rt_n0' }),
    ]);
    assert.equal(answers[0].status, 'fulfilled');
    assert.equal(
      (answers[1] as PromiseRejectedResult).reason?.message,
      'unique key violated: refresh_tokens(token_hash)',
    );
    assert.equal(await findRefreshTokenById(store.db, 'rt_n5'), undefined);
  });

  it("a refresh's reads in one turn are one statement, each the row its own read gives", async () => {
    await insertRefreshToken(store.db, token('rt_r1'));
    await insertRefreshToken(store.db, token('rt_r2', { audience: null }));
    const alone = {
      r1: await findRefreshTokenForGrant(store.db, 'hash-rt_r1'),
      r2: await findRefreshTokenForGrant(store.db, 'hash-rt_r2'),
    };
    assert.equal(alone.r1?.token.id, 'rt_r1');
    const hashes = ['hash-rt_r1', 'hash-none', 'hash-rt_r2', 'hash-rt_r1'];
    const { result, statements } = await counting(() =>
      Promise.all(hashes.map((h) => findRefreshTokenForGrant(store.db, h))),
    );
    assert.equal(statements.length, 1, statements.join('\n'));
    assert.deepEqual(result, [alone.r1, undefined, alone.r2, alone.r1]);
  });

  it('a request whose client is gone sends nothing; the others of its turn are answered', async () => {
    await insertRefreshToken(store.db, token('rt_g1'));
    const { result, statements } = await counting(() =>
      Promise.allSettled([
        withDeadline(5000, (d) => {
          d.gone = true;
          return findRefreshTokenForGrant(store.db, 'hash-rt_g1');
        }),
        withDeadline(5000, () => findRefreshTokenForGrant(store.db, 'hash-rt_g1')),
        // Gone while its read waits for the turn to end.
        withDeadline(5000, (d) => {
          const read = findRefreshTokenForGrant(store.db, 'hash-rt_g1');
          d.gone = true;
          return read;
        }),
      ]),
    );
    for (const i of [0, 2]) {
      assert.equal(result[i].status, 'rejected');
      const err = (result[i] as PromiseRejectedResult).reason;
      assert.ok(err instanceof UnavailableError, String(err));
      assert.match(err.message, /the client went away before its request was done/);
    }
    assert.equal(result[1].status === 'fulfilled' && result[1].value?.token.id, 'rt_g1');
    assert.equal(statements.length, 1);
  });

  it("a turn's password logins read their users in one statement, each as its own read gives it", async () => {
    const connection = (id: string) => ({ id, name: id, strategy: 'auth0' as const, enabled_clients: [] });
    await upsertConnection(store.db, connection('con_pb'), T0);
    await upsertConnection(store.db, connection('con_pb2'), T0);
    await upsertUser(store.db, awkwardUser('auth0|pbreader', 'con_pb', 'pbreader'), T0);
    await grantReaderAuthorization(
      store.db,
      'auth0|pbreader',
      'https://api.pb.test/',
      'https://other.pb.test/',
    );
    await upsertUser(store.db, awkwardUser('auth0|pbplain', 'con_pb', 'pbplain'), T0);
    await upsertUser(store.db, awkwardUser('auth0|pbreader2', 'con_pb2', 'pbreader'), T0);
    const email = `${AWKWARD.rtl}+pbreader@example.COM`;
    const lookups: [connection: string, identifier: string, apiId: string | undefined][] = [
      ['con_pb', email, 'rs_read'],
      ['con_pb', `${AWKWARD.zwj}PBREADER`, 'rs_other'],
      ['con_pb', 'nobody@example.com', 'rs_read'],
      ['con_pb', `${AWKWARD.zwj}pbplain`, undefined],
      ['con_pb2', email, 'rs_read'],
      ['con_pb', email, 'rs_read'],
    ];
    const alone = [];
    for (const l of lookups) alone.push(await findUserForLogin(store.db, ...l));
    assert.deepEqual(
      alone.map((a) => a?.user.user_id),
      ['auth0|pbreader', 'auth0|pbreader', undefined, 'auth0|pbplain', 'auth0|pbreader2', 'auth0|pbreader'],
    );
    assert.deepEqual(alone[0]?.authorization.permissions, ['direct:x', 'read:x', 'write:x']);
    const { result, statements } = await counting(() =>
      Promise.all(lookups.map((l) => findUserForLogin(store.db, ...l))),
    );
    assert.equal(statements.length, 1, statements.join('\n'));
    assert.deepEqual(result, alone);
  });

  it("a turn's audit events are one statement, and the logins among them are counted on their users", async () => {
    await upsertUser(store.db, awkwardUser('auth0|pbc1', 'con_pb', 'pbc1'), T0);
    await upsertUser(store.db, awkwardUser('auth0|pbc2', 'con_pb', 'pbc2'), T0);
    const event = (id: string, user_id: string) => ({
      id,
      date: T0 + 30,
      type: 's',
      user_id,
      details: { id },
    });
    const login = (userId: string, at: number) => ({ userId, at });
    const { statements } = await counting(() =>
      Promise.all([
        insertEvent(store.db, event('ev_pc1', 'auth0|pbc1'), login('auth0|pbc1', T0 + 10)),
        insertEvent(store.db, event('ev_pc2', 'auth0|pbc1'), login('auth0|pbc1', T0 + 20)),
        insertEvent(store.db, event('ev_pc3', 'auth0|pbc2'), login('auth0|pbc2', T0 + 15)),
        insertEvent(store.db, { ...event('ev_pc4', 'auth0|pbc2'), type: 'fp', description: AWKWARD.astral }),
      ]),
    );
    assert.equal(statements.length, 1, statements.join('\n'));
    const counts = async (id: string) => {
      const u = await findUserById(store.db, id);
      return [u?.logins_count, u?.last_login];
    };
    assert.deepEqual(await counts('auth0|pbc1'), [2, T0 + 20]);
    assert.deepEqual(await counts('auth0|pbc2'), [1, T0 + 15]);
    const written = await listEvents(store.db, { userId: 'auth0|pbc2' });
    assert.deepEqual(written.map((e) => [e.id, e.type, e.description ?? null, e.details]).sort(), [
      ['ev_pc3', 's', null, { id: 'ev_pc3' }],
      ['ev_pc4', 'fp', AWKWARD.astral, { id: 'ev_pc4' }],
    ]);
  });

  it('an event that cannot be written fails alone, and its login is not counted', async () => {
    await upsertUser(store.db, awkwardUser('auth0|pbd1', 'con_pb', 'pbd1'), T0);
    await insertEvent(store.db, { id: 'ev_pd_taken', date: T0, type: 's' });
    const login = (at: number) => ({ userId: 'auth0|pbd1', at });
    const answers = await Promise.allSettled([
      insertEvent(store.db, { id: 'ev_pd1', date: T0, type: 's' }, login(T0 + 1)),
      insertEvent(store.db, { id: 'ev_pd_taken', date: T0, type: 's' }, login(T0 + 2)),
    ]);
    assert.equal(answers[0].status, 'fulfilled');
    assert.equal(answers[1].status, 'rejected');
    assert.equal((answers[1] as PromiseRejectedResult).reason.message, 'unique key violated: events(id)');
    const u = await findUserById(store.db, 'auth0|pbd1');
    assert.deepEqual([u?.logins_count, u?.last_login], [1, T0 + 1]);
  });

  describe('the mechanism', () => {
    /** A statement whose `many` fails with `err`: which items ran alone, and what each got. */
    async function failingMany(err: Error) {
      const alone: number[] = [];
      const statement = batched<number, number>({
        async one(_db, n) {
          alone.push(n);
          if (n === 2) throw new Error('item 2 is bad');
          return n * 10;
        },
        async many() {
          throw err;
        },
      });
      const answers = await Promise.allSettled([1, 2, 3].map((n) => statement(store.db, n)));
      return { alone: alone.sort(), answers };
    }

    it('when the database cannot be reached, every item fails with that, and none is retried alone', async () => {
      const down = new UnavailableError('database', 'connection terminated');
      const { alone, answers } = await failingMany(down);
      assert.deepEqual(alone, []);
      assert.deepEqual(
        answers,
        [1, 2, 3].map(() => ({ status: 'rejected', reason: down })),
      );
    });

    it('any other failure runs each item alone: only the item at fault fails', async () => {
      const { alone, answers } = await failingMany(new Error('deadlock detected'));
      assert.deepEqual(alone, [1, 2, 3]);
      assert.equal(answers[1].status, 'rejected');
      assert.equal((answers[1] as PromiseRejectedResult).reason.message, 'item 2 is bad');
      assert.deepEqual(
        [answers[0], answers[2]],
        [
          { status: 'fulfilled', value: 10 },
          { status: 'fulfilled', value: 30 },
        ],
      );
    });

    it("alone, an item runs under its request's deadline; a batch under the latest of its items'", async () => {
      const seen: string[] = [];
      const statement = batched<number, number>({
        async one(_db, n) {
          seen.push(`one ${n}: ${remainingMs()}`);
          return n;
        },
        async many(_db, items) {
          const left = remainingMs() ?? 0;
          seen.push(`many ${items.join(',')}: ${left > 50_000 && left <= 60_000}`);
          return items;
        },
      });
      await withDeadline(60_000, () => statement(store.db, 1));
      await statement(store.db, 2);
      await Promise.all([
        withDeadline(10_000, () => statement(store.db, 3)),
        withDeadline(60_000, () => statement(store.db, 4)),
      ]);
      assert.match(seen[0], /^one 1: \d+$/);
      assert.ok(Number(seen[0].slice(7)) > 50_000, seen[0]);
      assert.deepEqual(seen.slice(1), ['one 2: undefined', 'many 3,4: true']);
    });

    it('alone after its turn, inside a transaction and on SQLite, an item runs as one statement', async () => {
      const calls: string[] = [];
      const statement = batched<number, number>({
        async one(_db, n) {
          calls.push(`one ${n}`);
          return n;
        },
        async many(_db, items) {
          calls.push(`many ${items.join(',')}`);
          return items;
        },
      });
      await statement(store.db, 1);
      await store.db.transaction().execute(async (trx) => {
        await Promise.all([statement(trx, 2), statement(trx, 3)]);
      });
      const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;
      const other = await sqlite.open();
      try {
        await Promise.all([statement(other.db, 4), statement(other.db, 5)]);
      } finally {
        await other.close();
      }
      await Promise.all([statement(store.db, 6), statement(store.db, 7)]);
      assert.deepEqual(calls, ['one 1', 'one 2', 'one 3', 'one 4', 'one 5', 'many 6,7']);
    });
  });
});
