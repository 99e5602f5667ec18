import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { migrate, openStore, type Store } from '../../src/store/db.js';
import { UniqueViolation } from '../../src/store/errors.js';
import type { Database } from '../../src/store/schema.js';
import { consumeRefreshToken, insertRefreshToken } from '../../src/store/repos/refresh-tokens.js';
import { insertEvent } from '../../src/store/repos/events.js';
import { writeOne, writeTogether } from '../../src/store/write-group.js';
import { refreshTokenRow, T0 } from './contract.js';

/** SQLite's group commit (src/store/write-group.ts), on a file: a second connection sees only what is committed. */
describe('SQLite group commit', () => {
  let dir: string;
  let store: Store;
  let other: SQLite.Database;
  const event = (id: string) => ({ id, date: T0, type: 'sertft' });
  const committed = (id: string) =>
    (other.prepare('select count(*) as n from events where id = ?').get(id) as { n: number }).n === 1;
  /** Frames in the WAL since the last checkpoint: what the commits appended. */
  const walFrames = () => (other.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
  const emptyWal = () => other.pragma('wal_checkpoint(TRUNCATE)');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-group-'));
    const file = join(dir, 'tessera.db');
    store = openStore(file);
    await migrate(store);
    other = new SQLite(file);
  });
  after(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => emptyWal());

  it('writes asked for in one turn commit once: fewer WAL frames than one commit each', async () => {
    for (let i = 0; i < 20; i++) await insertEvent(store.db, event(`alone-${i}`));
    const alone = walFrames();
    emptyWal();
    await Promise.all(Array.from({ length: 20 }, (_, i) => insertEvent(store.db, event(`grouped-${i}`))));
    const grouped = walFrames();
    assert.ok(committed('alone-19') && committed('grouped-19'));
    // 20 commits append each touched page 20 times; one commit appends it once.
    assert.ok(grouped * 4 < alone, `grouped ${grouped} frames, one by one ${alone}`);
  });

  it('a write waits for the end of the turn and is answered once it is committed', async () => {
    const answered = insertEvent(store.db, event('durable'));
    assert.equal(committed('durable'), false);
    await answered;
    assert.equal(committed('durable'), true);
  });

  it('while each turn brings more writes, the group waits for them', async () => {
    // Turn 1 brings b (before the group's check), turn 2 brings c: all three commit together.
    setImmediate(() => {
      void insertEvent(store.db, event('grow-b'));
      setImmediate(() => void insertEvent(store.db, event('grow-c')));
    });
    await insertEvent(store.db, event('grow-a'));
    assert.deepEqual(['grow-a', 'grow-b', 'grow-c'].map(committed), [true, true, true]);
  });

  it('a group stays open a few turns at most, however many writes keep coming', async () => {
    const writes: Promise<void>[] = [];
    const asked = new Promise<void>((done) => {
      let turn = 0;
      const more = () => {
        writes.push(insertEvent(store.db, event(`steady-${turn}`)));
        if (++turn < 10) setImmediate(more);
        else done();
      };
      setImmediate(more);
    });
    await insertEvent(store.db, event('steady-first'));
    const inFirst = Array.from({ length: 10 }, (_, i) => committed(`steady-${i}`)).filter(Boolean).length;
    assert.ok(inFirst >= 1 && inFirst < 10, `the first commit took ${inFirst} of 10 turns' writes`);
    await asked;
    await Promise.all(writes);
    assert.ok(committed('steady-9'));
  });

  it("a group's transaction used after it ended writes nothing", async () => {
    let leaked: Kysely<Database> | undefined;
    await writeTogether(store.db, async (trx) => {
      leaked = trx;
      await insertEvent(trx, event('leak-in'));
    });
    await assert.rejects(insertEvent(leaked!, event('leak-after')));
    assert.deepEqual(['leak-in', 'leak-after'].map(committed), [true, false]);
  });

  it('a write that fails is rolled back alone; the rest of its group commits', async () => {
    const [a, b, c] = await Promise.allSettled([
      writeTogether(store.db, async (trx) => {
        await insertEvent(trx, event('iso-a'));
        await insertEvent(trx, event('iso-b-first'));
      }),
      writeTogether(store.db, async (trx) => {
        await insertEvent(trx, event('iso-b'));
        await insertEvent(trx, event('iso-a')); // the first write's id: a unique violation
      }),
      writeOne(store.db, (db) => insertEvent(db, event('iso-c'))),
    ]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(c.status, 'fulfilled');
    assert.equal(b.status, 'rejected');
    assert.ok((b as PromiseRejectedResult).reason instanceof UniqueViolation);
    assert.deepEqual(
      ['iso-a', 'iso-b-first', 'iso-b', 'iso-c'].map(committed),
      [true, true, false, true],
      'the failed write left nothing, not even its first statement',
    );
  });

  it('a one-statement write that fails leaves none of its rows, and the writes around it commit', async () => {
    await insertEvent(store.db, event('one-dup'));
    const [a, b, c] = await Promise.allSettled([
      writeTogether(store.db, (trx) => insertEvent(trx, event('one-a'))),
      // One INSERT of two rows, the second a unique violation: SQLite undoes the statement (no savepoint of its own).
      writeOne(store.db, (db) =>
        db
          .insertInto('events')
          .values([
            { ...event('one-b'), details: null },
            { ...event('one-dup'), details: null },
          ] as never)
          .execute(),
      ),
      writeOne(store.db, (db) => insertEvent(db, event('one-c'))),
    ]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'rejected');
    assert.equal(c.status, 'fulfilled');
    assert.deepEqual(['one-a', 'one-b', 'one-c'].map(committed), [true, false, true]);
  });

  it('when SQLite ends the transaction, every write of the group fails and none is written', async () => {
    const results = await Promise.allSettled([
      insertEvent(store.db, event('lost-a')),
      writeTogether(store.db, async (trx) => {
        await insertEvent(trx, event('lost-b'));
        // As SQLite does itself on SQLITE_FULL or SQLITE_IOERR (see db.ts).
        await sql`rollback`.execute(trx);
        throw new Error('the disk is full');
      }),
      insertEvent(store.db, event('lost-c')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && (r.reason as Error).message),
      ['the disk is full', 'the disk is full', 'the disk is full'],
    );
    assert.deepEqual(['lost-a', 'lost-b', 'lost-c'].map(committed), [false, false, false]);
    // The store goes on: the next group commits.
    await Promise.all([insertEvent(store.db, event('after-a')), insertEvent(store.db, event('after-b'))]);
    assert.deepEqual(['after-a', 'after-b'].map(committed), [true, true]);
  });

  it('when the COMMIT fails, every write of the group fails and none is written', async () => {
    const results = await Promise.allSettled([
      insertEvent(store.db, event('commit-a')),
      writeTogether(store.db, async (trx) => {
        // A deferred foreign key is checked at COMMIT: a user of a connection that does not exist.
        await sql`pragma defer_foreign_keys = on`.execute(trx);
        await trx
          .insertInto('users')
          .values({
            id: 'auth0|orphan',
            connection_id: 'con_missing',
            profile: '{}',
            app_metadata: '{}',
            user_metadata: '{}',
            email_verified: 0,
            blocked: 0,
            logins_count: 0,
            created_at: T0,
            updated_at: T0,
          })
          .execute();
      }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.match(String((results[0] as PromiseRejectedResult).reason), /FOREIGN KEY/);
    assert.equal(committed('commit-a'), false);
    assert.equal(
      (other.prepare("select count(*) as n from users where id = 'auth0|orphan'").get() as { n: number }).n,
      0,
    );
  });

  it('of racing rotations in one group exactly one consumes the token', async () => {
    await insertRefreshToken(store.db, refreshTokenRow('rt_group_race'));
    const wins = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        writeTogether(store.db, async (trx) => {
          const won = await consumeRefreshToken(
            trx,
            'rt_group_race',
            { id: `succ-${i}`, sealed: null },
            T0 + 1,
          );
          if (won) await insertRefreshToken(trx, refreshTokenRow(`succ-${i}`));
          return won;
        }),
      ),
    );
    assert.equal(wins.filter(Boolean).length, 1);
    const successors = other.prepare("select id from refresh_tokens where id like 'succ-%'").all() as {
      id: string;
    }[];
    const winner = wins.indexOf(true);
    assert.deepEqual(successors, [{ id: `succ-${winner}` }]);
    const row = other.prepare("select replaced_by from refresh_tokens where id = 'rt_group_race'").get();
    assert.deepEqual(row, { replaced_by: `succ-${winner}` });
  });

  it('inside a transaction, a write joins it and rolls back with it', async () => {
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await writeOne(trx, (db) => insertEvent(db, event('nested-one')));
        await writeTogether(trx, (db) => insertEvent(db, event('nested-together')));
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(['nested-one', 'nested-together'].map(committed), [false, false]);
  });
});

describe('SQLite group commit, closing the store', () => {
  it('a write still queued when the store closes is made, and answered, before it closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-group-close-'));
    const file = join(dir, 'tessera.db');
    try {
      const store = openStore(file);
      await migrate(store);
      const asked = insertEvent(store.db, { id: 'queued-at-close', date: T0, type: 'sertft' });
      const closed = store.close();
      await asked;
      await closed;
      const other = new SQLite(file);
      const n = (
        other.prepare("select count(*) as n from events where id = 'queued-at-close'").get() as { n: number }
      ).n;
      other.close();
      assert.equal(n, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
