import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { compiled } from '../../src/store/compiled.js';
import { migrate, openStore, type Store } from '../../src/store/db.js';
import { UnavailableError } from '../../src/store/unavailable.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const PG_URL = process.env.TESSERA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A compiled query (store/compiled.ts) whose result columns follow the table's: `select *`. */
const settingByKey = compiled((db, p) => db.selectFrom('settings').selectAll().where('key', '=', p(0)));

/**
 * PostgreSQL runs the hot path's compiled queries as named prepared
 * statements (store/pg-pool.ts): parsed and planned once per connection.
 * One connection here, so that every query meets the statements the last
 * ones prepared.
 */
describe('PostgreSQL: compiled queries are prepared once per connection', {
  skip: process.env.TESSERA_TEST_PG === 'off',
}, () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  let admin: pg.Client;
  let store: Store;
  const open = (prepared?: boolean) => openStore(PG_URL, { schema, poolSize: 1, prepared });
  /** The statements prepared on the store's one connection, by name. */
  const preparedHere = async (db: Store['db']) =>
    (
      await sql<{
        name: string;
        statement: string;
      }>`select name, statement from pg_prepared_statements`.execute(db)
    ).rows;

  before(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    store = open();
    await migrate(store);
    await admin.query(`INSERT INTO ${schema}.settings (key, value) VALUES ('k', '"v"')`);
  });
  after(async () => {
    await store.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });

  it('a compiled query is prepared on its first run and reused after it', async () => {
    for (let i = 0; i < 3; i++) {
      assert.deepEqual((await settingByKey.execute(store.db, 'k')).rows, [{ key: 'k', value: '"v"' }]);
    }
    const mine = (await preparedHere(store.db)).filter((s) => /from "settings"/.test(s.statement));
    assert.equal(mine.length, 1, JSON.stringify(mine));
    assert.match(mine[0]!.name, /^tessera_\d+$/);
    // Nothing else is prepared: other queries (this one included) run unnamed.
    assert.ok((await preparedHere(store.db)).every((s) => s.name.startsWith('tessera_')));
  });

  it('a schema change under a prepared statement: answered outside a transaction, 503 inside one, then answered', async () => {
    await settingByKey.execute(store.db, 'k');
    await admin.query(`ALTER TABLE ${schema}.settings ADD COLUMN extra_one text`);
    // Outside a transaction: run again unprepared, and the connection is replaced.
    assert.deepEqual((await settingByKey.execute(store.db, 'k')).rows, [
      { key: 'k', value: '"v"', extra_one: null },
    ]);
    await settingByKey.execute(store.db, 'k'); // prepared again, on the new connection
    await admin.query(`ALTER TABLE ${schema}.settings ADD COLUMN extra_two text`);
    await assert.rejects(
      store.db.transaction().execute((trx) => settingByKey.execute(trx, 'k')),
      (err: unknown) =>
        err instanceof UnavailableError &&
        /prepared statement went stale after a schema change/.test(err.message),
    );
    // The next request finds a connection whose statements are fresh.
    const rows = await store.db.transaction().execute((trx) => settingByKey.execute(trx, 'k'));
    assert.deepEqual(rows.rows, [{ key: 'k', value: '"v"', extra_one: null, extra_two: null }]);
  });

  it('the unprepared run again after a stale statement is an outage like any statement: 503, connection replaced', async () => {
    // The store reaches PostgreSQL through a proxy that freezes once PostgreSQL answers 0A000
    // (cached plan must not change result type): the query's run again then gets no answer.
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(PG_URL).port || 5432) });
    const url = new URL(PG_URL);
    url.port = String(proxy.port);
    const viaProxy = openStore(url.toString(), {
      schema,
      poolSize: 1,
      statementTimeoutMs: 300,
      acquireTimeoutMs: 2000,
    });
    try {
      await settingByKey.execute(viaProxy.db, 'k'); // prepared on the proxied connection
      await admin.query(`ALTER TABLE ${schema}.settings ADD COLUMN extra_three text`);
      proxy.freezeAfterServer((chunk) => chunk.includes('C0A000'));
      await assert.rejects(
        settingByKey.execute(viaProxy.db, 'k'),
        (err: unknown) => err instanceof UnavailableError && err.cause !== undefined,
      );
      proxy.unfreeze();
      // The broken connection is not pooled again: the next query gets a new one.
      const rows = (await settingByKey.execute(viaProxy.db, 'k')).rows as Record<string, unknown>[];
      assert.equal(rows[0]?.extra_three, null);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('prepared: false prepares nothing (a pooler that cannot keep prepared statements)', async () => {
    const plain = open(false);
    try {
      await settingByKey.execute(plain.db, 'k');
      await settingByKey.execute(plain.db, 'k');
      assert.deepEqual(await preparedHere(plain.db), []);
    } finally {
      await plain.close();
    }
  });
});
