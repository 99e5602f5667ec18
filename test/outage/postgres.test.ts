import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';
import { migrate, openStore, type Store } from '../../src/store/db.js';
import { unbounded, withDeadline } from '../../src/store/deadline.js';
import { listEvents } from '../../src/store/repos/events.js';
import { UnavailableError } from '../../src/store/unavailable.js';
import { ALICE, SECRET, silentLogger, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { type PgInstance, startPg } from '../helpers/pg-instance.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const UNAVAILABLE = {
  error: 'temporarily_unavailable',
  error_description: 'The service is temporarily unavailable. Try again later.',
};

/** Timeouts short enough for a test: a frozen database is given up on in about a second. */
const TIMEOUTS = { connectTimeoutMs: 500, acquireTimeoutMs: 500, statementTimeoutMs: 500 };

const login = (t: TestApp) =>
  tokenRequest(t.app, {
    grant_type: 'password',
    username: ALICE.email,
    password: ALICE.password,
    client_id: 'acme-web',
    client_secret: SECRET,
  });

/** A fresh schema on `url`, migrated, through a pool with the test timeouts. */
async function ownStore(url: string, log = silentLogger()): Promise<Store> {
  const schema = `o_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const store = openStore(url, { schema, poolSize: 5, ...TIMEOUTS, log });
  await migrate(store);
  return store;
}

const appOn = (url: string, log?: Logger) =>
  startTestApp({ name: 'postgres', open: () => ownStore(url, log) });

/** Logs in every 50 ms until it works; the milliseconds that took. */
async function untilLoginWorks(t: TestApp, withinMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const res = await login(t);
    if (res.statusCode === 200) return performance.now() - t0;
    if (performance.now() - t0 > withinMs)
      assert.fail(`still ${res.statusCode} ${res.body} after ${withinMs} ms`);
    await sleep(50);
  }
}

function assertUnavailable(res: Awaited<ReturnType<typeof login>>) {
  assert.equal(res.statusCode, 503, res.body);
  assert.deepEqual(res.json(), UNAVAILABLE);
  assert.equal(res.headers['retry-after'], '5');
  assert.equal(res.headers['cache-control'], 'no-store');
}

describe('PostgreSQL outages', { timeout: 60_000 }, () => {
  let db: PgInstance;
  let proxy: TcpProxy;
  before(async () => {
    db = await startPg();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: db.port });
  });
  after(async () => {
    await proxy?.close();
    await db?.close();
  });

  it('an idle connection closed by the server (pg_terminate_backend) neither ends the process nor the next login', async () => {
    const logs: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs.push(JSON.parse(String(chunk)));
        cb();
      },
    });
    const t = await appOn(db.url, pino({ level: 'info' }, sink));
    try {
      assert.equal((await login(t)).statusCode, 200);
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      await admin.end();
      assert.ok(rowCount && rowCount > 0);
      await sleep(200); // the pool's idle connections hear of it
      assert.equal((await login(t)).statusCode, 200);
      // Said once in the structured log (throttled), with PostgreSQL's code.
      const warned = logs.filter(
        (l) => l.msg === 'an idle PostgreSQL connection failed; it will be replaced',
      );
      assert.equal(warned.length, 1, JSON.stringify(logs));
      assert.equal(warned[0]!.reason, 'terminating connection due to administrator command');
      assert.equal(warned[0]!.code, '57P01');
      assert.equal(warned[0]!.level, 40);
    } finally {
      await t.close();
    }
  });

  it('stopped: a fast 503 with Retry-After; started again: logins work within a second', async () => {
    const t = await appOn(db.url);
    try {
      assert.equal((await login(t)).statusCode, 200);
      await db.stop('fast');
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const res = await login(t);
        assertUnavailable(res);
        assert.ok(performance.now() - t0 < 2_000, `took ${performance.now() - t0} ms`);
      }
      await db.start();
      const took = await untilLoginWorks(t, 1_500);
      assert.ok(took < 1_500, `back after ${took} ms`);
    } finally {
      if (!(await isUp(db.url))) await db.start();
      await t.close();
    }
  });

  it('frozen (behind a stalled proxy): a 503 within about the timeouts, not a hang; thawed: logins work', async () => {
    const t = await appOn(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`);
    try {
      assert.equal((await login(t)).statusCode, 200);
      proxy.freeze();
      const t0 = performance.now();
      const res = await login(t);
      const took = performance.now() - t0;
      assertUnavailable(res);
      assert.ok(took < 4_000, `took ${took} ms`);
      proxy.unfreeze();
      await untilLoginWorks(t, 2_000);
    } finally {
      proxy.unfreeze();
      await t.close();
    }
  });

  it('frozen: logins asked for at once (their reads one batch) each answer 503 within about the timeouts; thawed: each works', async () => {
    const t = await appOn(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`);
    try {
      assert.equal((await login(t)).statusCode, 200);
      proxy.freeze();
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: 6 }, () => login(t)));
      const took = performance.now() - t0;
      for (const res of answers) assertUnavailable(res);
      assert.ok(took < 4_000, `took ${took} ms`);
      proxy.unfreeze();
      await untilLoginWorks(t, 2_000);
      const again = await Promise.all(Array.from({ length: 6 }, () => login(t)));
      assert.deepEqual(
        again.map((r) => r.statusCode),
        again.map(() => 200),
      );
    } finally {
      proxy.unfreeze();
      await t.close();
    }
  });

  it('a login whose client gave up while the database was frozen does not go on once it thaws', async () => {
    const t = await appOn(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`);
    try {
      assert.equal((await login(t)).statusCode, 200);
      const before = await listEvents(t.rt.store.db, { limit: 100 });
      const loginsBefore = await loginsCount(t);
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = t.app.server.address() as AddressInfo;
      proxy.freeze();
      const abort = new AbortController();
      const sent = fetch(`http://127.0.0.1:${port}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          username: ALICE.email,
          password: ALICE.password,
          client_id: 'acme-web',
          client_secret: SECRET,
        }),
        signal: abort.signal,
      });
      await sleep(150);
      abort.abort();
      await assert.rejects(sent);
      await sleep(50);
      // Thawed before any timeout: the query in flight completes, and nothing after it runs.
      proxy.unfreeze();
      await sleep(1_000);
      assert.deepEqual(await listEvents(t.rt.store.db, { limit: 100 }), before);
      assert.equal(await loginsCount(t), loginsBefore);
    } finally {
      proxy.unfreeze();
      await t.close();
    }
  });

  it('a statement past the statement timeout is cancelled (57014, a 503); migrations run without it', async () => {
    const store = await ownStore(db.url);
    try {
      await assert.rejects(
        sql`SELECT pg_sleep(1)`.execute(store.db),
        (e) => e instanceof UnavailableError && /57014/.test(e.message),
      );
      await unbounded(() => sql`SELECT pg_sleep(1)`.execute(store.db));
      // The pool still has the timeout: the maintenance connection was not given back to it.
      await assert.rejects(sql`SELECT pg_sleep(1)`.execute(store.db), UnavailableError);
    } finally {
      await store.close();
    }
  });

  it('a request past its deadline, or whose client went away, starts no further query: its transaction is not committed', async () => {
    const store = await ownStore(db.url);
    try {
      await sql`CREATE TABLE marks (id text PRIMARY KEY)`.execute(store.db);
      const write = (id: string, wait: () => Promise<void>) =>
        store.db.transaction().execute(async (trx) => {
          await sql`INSERT INTO marks VALUES (${id})`.execute(trx);
          await wait();
          await sql`INSERT INTO marks VALUES (${`${id}-2`})`.execute(trx);
        });
      await assert.rejects(
        withDeadline(100, () => write('late', () => sleep(150))),
        (e) => e instanceof UnavailableError && /ran out of time/.test(e.message),
      );
      await assert.rejects(
        withDeadline(10_000, (d) =>
          write('gone', async () => {
            d.gone = true;
          }),
        ),
        (e) => e instanceof UnavailableError && /went away/.test(e.message),
      );
      await withDeadline(10_000, () => write('kept', async () => {}));
      const rows = await sql<{ id: string }>`SELECT id FROM marks ORDER BY id`.execute(store.db);
      assert.deepEqual(
        rows.rows.map((r) => r.id),
        ['kept', 'kept-2'],
      );
    } finally {
      await store.close();
    }
  });
});

async function isUp(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 500 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function loginsCount(t: TestApp): Promise<number> {
  const row = await t.rt.store.db
    .selectFrom('users')
    .select('logins_count')
    .where('id', '=', ALICE.id)
    .executeTakeFirstOrThrow();
  return Number(row.logins_count);
}
