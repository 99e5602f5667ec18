import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrate, openStore } from '../../src/store/db.js';

const PG_URL = process.env.TESSERA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** PG_URL with its database replaced. */
function databaseUrl(name: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Tessera's migrations look only at the schema the store lives in. Kysely's
 * own check for its bookkeeping table lists the tables of every schema of
 * the database: another application's `kysely_migration` elsewhere was taken
 * for Tessera's, and a schema dropped meanwhile by someone else failed the
 * listing ("schema … does not exist").
 */
describe('PostgreSQL: migrations see only the store’s own schema', {
  skip: process.env.TESSERA_TEST_PG === 'off',
}, () => {
  const database = `tessera_mig_${randomBytes(5).toString('hex')}`;
  let admin: pg.Client;
  let inDb: pg.Client;

  before(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    inDb = new pg.Client({ connectionString: databaseUrl(database) });
    await inDb.connect();
    // Another application of the same database, which uses Kysely's migrator in a schema of its own.
    await inDb.query(`CREATE SCHEMA other_app;
      CREATE TABLE other_app.kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL);
      CREATE TABLE other_app.kysely_migration_lock (id varchar(255) PRIMARY KEY, is_locked integer NOT NULL DEFAULT 0);
      INSERT INTO other_app.kysely_migration VALUES ('0001_their_own', '2026-01-01T00:00:00.000Z')`);
  });
  after(async () => {
    await inDb?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it('another schema’s kysely_migration is not taken for Tessera’s (default search_path)', async () => {
    const store = openStore(databaseUrl(database));
    try {
      const ran = await migrate(store);
      assert.ok(ran.length > 5, `migrations run: ${ran.join(', ')}`);
      // Its bookkeeping is in public, where its tables are; the other application's is untouched.
      const where = await inDb.query(
        `SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_name IN ('kysely_migration', 'users') ORDER BY table_schema, table_name`,
      );
      assert.deepEqual(where.rows, [
        { table_schema: 'other_app', table_name: 'kysely_migration' },
        { table_schema: 'public', table_name: 'kysely_migration' },
        { table_schema: 'public', table_name: 'users' },
      ]);
      const theirs = await inDb.query('SELECT name FROM other_app.kysely_migration');
      assert.deepEqual(theirs.rows, [{ name: '0001_their_own' }]);
      // A second start finds its own bookkeeping and runs nothing.
      assert.deepEqual(await migrate(store), []);
    } finally {
      await store.close();
    }
  });

  it('schemas created and dropped by others meanwhile do not fail a migration', async () => {
    let churning = true;
    const churn = (async () => {
      const c = new pg.Client({ connectionString: databaseUrl(database) });
      await c.connect();
      try {
        for (let i = 0; churning; i++) {
          await c.query(`CREATE SCHEMA churn_${i}; CREATE TABLE churn_${i}.t (a int, b text)`);
          await c.query(`DROP SCHEMA churn_${i} CASCADE`);
        }
      } finally {
        await c.end();
      }
    })();
    try {
      for (let i = 0; i < 4; i++) {
        const schema = `mine_${i}`;
        await inDb.query(`CREATE SCHEMA ${schema}`);
        const store = openStore(databaseUrl(database), { schema });
        try {
          assert.ok((await migrate(store)).length > 5);
        } finally {
          await store.close();
        }
      }
    } finally {
      churning = false;
      await churn;
    }
  });
});
