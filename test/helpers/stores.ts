import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openStore, type Store } from '../../src/store/db.js';

/**
 * The databases every store-backed suite runs against: SQLite always, and
 * PostgreSQL at TESSERA_TEST_PG_URL (default the local `test` database)
 * unless TESSERA_TEST_PG=off. Each opened store gets its own fresh schema.
 */
export interface StoreKind {
  name: 'sqlite' | 'postgres';
  open(): Promise<Store>;
}

const PG_URL = process.env.TESSERA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const storeKinds: StoreKind[] = [
  {
    name: 'sqlite',
    async open() {
      const store = openStore(':memory:');
      await migrate(store);
      return store;
    },
  },
  ...(process.env.TESSERA_TEST_PG === 'off'
    ? []
    : [
        {
          name: 'postgres' as const,
          async open() {
            const schema = `t_${randomBytes(6).toString('hex')}`;
            const admin = new pg.Client({ connectionString: PG_URL });
            await admin.connect();
            await admin.query(`CREATE SCHEMA ${schema}`);
            await admin.end();
            const store = openStore(PG_URL, { schema, poolSize: 20 });
            await migrate(store);
            const close = store.close;
            return {
              ...store,
              async close() {
                await close();
                const a = new pg.Client({ connectionString: PG_URL });
                await a.connect();
                await a.query(`DROP SCHEMA ${schema} CASCADE`);
                await a.end();
              },
            };
          },
        },
      ]),
];
