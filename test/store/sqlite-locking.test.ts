import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { createUser, setUserPassword } from '../../src/identity/users.js';
import { migrate, openStore, type Store } from '../../src/store/db.js';
import { upsertConnection } from '../../src/store/repos/connections.js';

/**
 * A second process (here a thread with its own connection) writes to the
 * same SQLite file in a loop, as a busy server does, while this one runs
 * read-then-write transactions, as the CLI does. A deferred transaction
 * that read before the other's commit cannot write (SQLITE_BUSY_SNAPSHOT,
 * which busy_timeout does not retry); an immediate one waits its turn.
 */
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const insert = db.prepare("insert into events (id, date, type) values (?, ?, 'writer')");
const pause = new Int32Array(new SharedArrayBuffer(4));
let n = 0;
parentPort.postMessage('started');
while (Atomics.load(workerData.stop, 0) === 0) {
  db.transaction(() => { insert.run(workerData.prefix + n++, Date.now()); })();
  Atomics.wait(pause, 0, 0, 1);
}
db.close();
parentPort.postMessage(n);
`;

describe('SQLite: read-then-write transactions while another connection writes', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-lock-'));
    store = openStore(join(dir, 'tessera.db'));
    await migrate(store);
    await upsertConnection(
      store.db,
      { id: 'con_1', name: 'customers', strategy: 'auth0', enabled_clients: [] },
      0,
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function underLoad(work: () => Promise<void>): Promise<number> {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WRITER, {
      eval: true,
      workerData: {
        file: join(dir, 'tessera.db'),
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        stop,
        prefix: `w${Math.random()}-`,
      },
    });
    const done = new Promise<number>((resolve, reject) => {
      worker.on('message', (m) => {
        if (typeof m === 'number') resolve(m);
      });
      worker.on('error', reject);
    });
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));
    try {
      await work();
    } finally {
      Atomics.store(stop, 0, 1);
    }
    return done;
  }

  it('no transaction fails with "database is locked"', async () => {
    const failures: string[] = [];
    const writes = await underLoad(async () => {
      for (let i = 0; i < 60; i++) {
        try {
          await store.db.transaction().execute(async (trx) => {
            const { n } = await trx
              .selectFrom('events')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow();
            await new Promise((r) => setTimeout(r, 2)); // the other connection commits meanwhile
            await trx
              .insertInto('settings')
              .values({ key: `k${i}`, value: String(n) })
              .execute();
          });
        } catch (e) {
          failures.push((e as Error).message);
        }
        await new Promise((r) => setTimeout(r, 3)); // and between transactions
      }
    });
    assert.ok(writes > 10, `the writer wrote ${writes} rows`);
    assert.deepEqual(failures, []);
  });

  it('users create and set-password succeed', async () => {
    const failures: string[] = [];
    await underLoad(async () => {
      for (let i = 0; i < 8; i++) {
        try {
          const u = await createUser(
            store,
            { connection: 'customers', email: `u${i}@example.test`, password: 'Correct-horse-9-battery' },
            Date.now(),
          );
          await setUserPassword(store, u.user_id, 'Another-horse-9-battery', Date.now());
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    });
    assert.deepEqual(failures, []);
  });
});
