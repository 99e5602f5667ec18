import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { diskFullMessage } from '../../src/store/disk-full.js';
import { migrate, openStore } from '../../src/store/db.js';
import { listEvents } from '../../src/store/repos/events.js';
import { startTestApp, type TestApp, tokenRequest, ALICE_LOGIN } from '../helpers/app.js';
import type { StoreKind } from '../helpers/stores.js';
import { memoryLogger } from '../helpers/memory-log.js';

const sqliteKind: StoreKind = {
  name: 'sqlite',
  async open() {
    const store = openStore(':memory:');
    await migrate(store);
    return store;
  },
};

const alice = ALICE_LOGIN;

/** Caps the database at its current size and fills the audit log's last pages. */
async function fillDisk(t: TestApp): Promise<void> {
  const db = t.rt.store.db;
  const { rows } = await sql<{ page_count: number }>`PRAGMA page_count`.execute(db);
  await sql.raw(`PRAGMA max_page_count = ${rows[0]!.page_count}`).execute(db);
  for (let i = 0; ; i++) {
    try {
      await db
        .insertInto('events')
        .values({ id: `fill-${i}`, date: 0, type: 'fill', description: 'x'.repeat(200) })
        .execute();
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'SQLITE_FULL');
      return;
    }
  }
}

describe('a full disk (SQLite, max_page_count)', () => {
  let t: TestApp;
  const log = memoryLogger();
  before(async () => {
    t = await startTestApp(sqliteKind);
    t.rt.log = log.logger;
    await fillDisk(t);
  });
  after(() => t.close());

  it('a login whose audit event cannot be written fails with 503 and Retry-After', async () => {
    const res = await tokenRequest(t.app, alice);
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '30');
    assert.deepEqual(res.json(), {
      error: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable. Try again later.',
    });
  });

  it('a failed login whose audit event cannot be written fails with 503 too', async () => {
    const res = await tokenRequest(t.app, { ...alice, password: 'wrong' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '30');
  });

  it('the log says the disk is full, not "cannot rollback"', () => {
    const text = log.text();
    assert.match(text, /could not record audit event sepft: the disk holding the SQLite database is full/);
    assert.match(text, /could not record audit event fp: .*SQLITE_FULL/);
    assert.doesNotMatch(text, /cannot rollback/);
  });

  it('a transaction that fills the disk fails with SQLITE_FULL, not "no transaction is active"', async () => {
    await assert.rejects(
      t.rt.store.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 1000; i++) {
          await trx
            .insertInto('settings')
            .values({ key: `big-${i}`, value: 'y'.repeat(4000) })
            .execute();
        }
      }),
      (err: { code?: string; message: string }) => {
        assert.equal(err.code, 'SQLITE_FULL', err.message);
        return true;
      },
    );
  });

  it('once space is freed, logins are recorded again', async () => {
    await t.rt.store.db.deleteFrom('events').where('type', '=', 'fill').execute();
    const res = await tokenRequest(t.app, alice);
    assert.equal(res.statusCode, 200);
    const [e] = await listEvents(t.rt.store.db, { limit: 1 });
    assert.equal(e!.type, 'sepft');
  });
});

describe('diskFullMessage', () => {
  it('names SQLITE_FULL and PostgreSQL 53100', () => {
    assert.match(diskFullMessage({ code: 'SQLITE_FULL' })!, /SQLITE_FULL/);
    assert.match(diskFullMessage({ code: '53100' })!, /53100 disk_full/);
    assert.equal(diskFullMessage({ code: '23505' }), undefined);
    assert.equal(diskFullMessage(null), undefined);
  });
});
