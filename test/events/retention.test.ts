import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/config.js';
import { EXPIRED_GRACE_MS, purgeExpired, schedulePurge } from '../../src/events/retention.js';
import type { Runtime } from '../../src/runtime.js';
import type { Store } from '../../src/store/db.js';
import type { RefreshTokenRow } from '../../src/store/repos/refresh-tokens.js';
import { storeKinds } from '../helpers/stores.js';

const NOW = Date.UTC(2026, 10, 25, 12);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function token(id: string, family: string, t: Partial<RefreshTokenRow>): RefreshTokenRow {
  return {
    id,
    token_hash: `hash-${id}`,
    family_id: family,
    client_id: 'acme-web',
    user_id: 'auth0|alice',
    connection_id: 'con_default',
    audience: null,
    scope: 'openid offline_access',
    created_at: NOW - 60 * DAY,
    family_created_at: NOW - 60 * DAY,
    last_used_at: NOW - 60 * DAY,
    expires_at: NOW + 30 * DAY,
    idle_expires_at: NOW + 15 * DAY,
    rotated_at: null,
    replaced_by: null,
    revoked_at: null,
    successor_enc: null,
    parent_id: null,
    ...t,
  } as RefreshTokenRow;
}

async function seed(store: Store) {
  const db = store.db;
  const events = [
    ...[1, 2, 3, 4, 5].map((i) => ({ id: `old-${i}`, date: NOW - 31 * DAY - i, type: 'sepft' })),
    { id: 'recent', date: NOW - 29 * DAY, type: 'fp' },
  ];
  await db.insertInto('events').values(events).execute();
  const old = NOW - 3 * DAY;
  await db
    .insertInto('refresh_tokens')
    .values([
      // A live rotating family: its rotated-away token stays (reuse detection), even idle-expired.
      token('live-1', 'live', { rotated_at: old, replaced_by: 'live-2', idle_expires_at: old }),
      token('live-2', 'live', {}),
      // A non-expiring family: rotated-away tokens stay as long as it lives.
      token('forever-1', 'forever', {
        rotated_at: old,
        replaced_by: 'forever-2',
        expires_at: null,
        idle_expires_at: null,
      }),
      token('forever-2', 'forever', { expires_at: null, idle_expires_at: null }),
      // Revoked two days ago: gone. Revoked an hour ago: kept for the grace period.
      token('revoked-1', 'revoked', { rotated_at: old, revoked_at: NOW - 2 * DAY }),
      token('revoked-2', 'revoked', { revoked_at: NOW - 2 * DAY }),
      token('fresh-revoked', 'fresh-revoked', { revoked_at: NOW - HOUR }),
      // Past the absolute lifetime: gone.
      token('absolute-1', 'absolute', { rotated_at: old, expires_at: NOW - 2 * DAY }),
      token('absolute-2', 'absolute', { expires_at: NOW - 2 * DAY }),
      // A family whose last token idle-expired two days ago: ended, gone entirely.
      token('idle-1', 'idle', { rotated_at: old - DAY, idle_expires_at: old - DAY }),
      token('idle-2', 'idle', { idle_expires_at: NOW - 2 * DAY }),
      // Idle-expired an hour ago: within the grace period.
      token('just-idle', 'just-idle', { idle_expires_at: NOW - HOUR }),
    ])
    .execute();
  const tx = (id: string, expires_at: number) => ({
    id,
    token_hash: `h-${id}`,
    user_id: 'auth0|alice',
    client_id: 'acme-web',
    login: '{}',
    created_at: expires_at - 10 * 60_000,
    expires_at,
    completed_at: null,
  });
  await db
    .insertInto('mfa_transactions')
    .values([tx('tx-old', NOW - 2 * DAY), tx('tx-live', NOW + 60_000)])
    .execute();
  const ch = (id: string, expires_at: number) => ({
    id,
    oob_hash: `o-${id}`,
    transaction_id: 'tx-old',
    authenticator_id: 'sms|dev_1',
    binding_hash: 'b',
    created_at: expires_at - 5 * 60_000,
    expires_at,
    last_poll_at: null,
    used_at: null,
  });
  await db
    .insertInto('mfa_challenges')
    .values([ch('ch-old', NOW - 2 * DAY), ch('ch-live', NOW + 60_000)])
    .execute();
  await db
    .insertInto('mfa_attempts')
    .values([
      { user_id: 'auth0|idle', tokens: 3, updated_at: NOW - 3 * DAY },
      { user_id: 'auth0|busy', tokens: 3, updated_at: NOW - 60_000 },
    ])
    .execute();
  await db
    .insertInto('protection_tickets')
    .values([
      { id: 'ticket-old', used_at: NOW - 6 * DAY, expires_at: NOW - 2 * DAY },
      { id: 'ticket-live', used_at: NOW - HOUR, expires_at: NOW + DAY },
    ])
    .execute();
  const block = (
    id: string,
    kind: 'user' | 'ip',
    b: { expires_at: number | null; lifted_at: number | null },
  ) => ({
    id,
    kind,
    connection_id: null,
    identifier: null,
    user_id: null,
    ip: kind === 'ip' ? '198.51.100.7' : null,
    attempts: 10,
    created_at: NOW - 10 * DAY,
    updated_at: NOW - 10 * DAY,
    notified_at: null,
    ...b,
  });
  await db
    .insertInto('protection_blocks')
    .values([
      block('block-in-force', 'user', { expires_at: null, lifted_at: null }),
      block('block-lifted', 'user', { expires_at: null, lifted_at: NOW - 8 * DAY }),
      block('throttle-over', 'ip', { expires_at: NOW - 8 * DAY, lifted_at: null }),
    ])
    .execute();
  await db
    .insertInto('outbox')
    .values([
      {
        id: 'msg-old',
        channel: 'email',
        recipient: 'a@x.test',
        subject: 's',
        body: 'b',
        created_at: NOW - 31 * DAY,
        expires_at: null,
        sealed: 0,
      },
      {
        id: 'msg-new',
        channel: 'email',
        recipient: 'a@x.test',
        subject: 's',
        body: 'b',
        created_at: NOW - HOUR,
        expires_at: null,
        sealed: 0,
      },
    ])
    .execute();
  // Management API jobs: a finished one goes with the logs of its time; one not yet run stays.
  const job = (id: string, status: string, updatedAt: number) => ({
    id,
    type: 'verification_email',
    status,
    client_id: null,
    connection_id: null,
    connection: null,
    payload: null,
    summary: null,
    errors: null,
    created_at: updatedAt,
    updated_at: updatedAt,
  });
  await (db as unknown as Kysely<any>)
    .insertInto('jobs')
    .values([
      job('job-done-old', 'completed', NOW - 31 * DAY),
      job('job-failed-old', 'failed', NOW - 31 * DAY),
      job('job-done-new', 'completed', NOW - HOUR),
      job('job-pending-old', 'pending', NOW - 31 * DAY),
    ])
    .execute();
}

const ids = async (
  store: Store,
  table:
    | 'refresh_tokens'
    | 'mfa_transactions'
    | 'mfa_challenges'
    | 'protection_tickets'
    | 'protection_blocks'
    | 'outbox'
    | 'jobs',
) =>
  (await (store.db as any).selectFrom(table).select('id').orderBy('id').execute()).map(
    (r: { id: string }) => r.id,
  );

for (const kind of storeKinds) {
  describe(`retention: purging expired rows (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
      await seed(store);
    });
    after(() => store.close());

    it('deletes in small batches and counts what went, by kind', async () => {
      const counts = await purgeExpired(store, NOW, { logRetentionDays: 30, batchSize: 2 });
      assert.deepEqual(counts, {
        'audit events': 5,
        'revoked refresh tokens': 2,
        'expired refresh tokens': 2,
        'idle refresh tokens of ended families': 2,
        'MFA transactions': 1,
        'MFA challenges': 1,
        'MFA attempt buckets': 1,
        'used unblock tickets': 1,
        'lifted blocks': 1,
        'ended IP throttles': 1,
        'outbox messages': 1,
        'outbox messages with an expired code': 0,
        'finished jobs': 2,
      });
    });

    it('keeps recent events, live security state and every token of a live family', async () => {
      const events = await store.db.selectFrom('events').select('id').execute();
      assert.deepEqual(
        events.map((e) => e.id),
        ['recent'],
      );
      assert.deepEqual(await ids(store, 'refresh_tokens'), [
        'forever-1',
        'forever-2',
        'fresh-revoked',
        'just-idle',
        'live-1',
        'live-2',
      ]);
      assert.deepEqual(await ids(store, 'mfa_transactions'), ['tx-live']);
      assert.deepEqual(await ids(store, 'mfa_challenges'), ['ch-live']);
      assert.deepEqual(await ids(store, 'protection_tickets'), ['ticket-live']);
      assert.deepEqual(await ids(store, 'protection_blocks'), ['block-in-force']);
      assert.deepEqual(await ids(store, 'outbox'), ['msg-new']);
      assert.deepEqual(await ids(store, 'jobs'), ['job-done-new', 'job-pending-old']);
      const buckets = await store.db.selectFrom('mfa_attempts').select('user_id').execute();
      assert.deepEqual(
        buckets.map((b) => b.user_id),
        ['auth0|busy'],
      );
    });

    it('a second run finds nothing; the grace period then ends', async () => {
      const again = await purgeExpired(store, NOW, { logRetentionDays: 30 });
      assert.equal(
        Object.values(again).reduce((a, b) => a + b, 0),
        0,
      );
      const later = await purgeExpired(store, NOW + EXPIRED_GRACE_MS, { logRetentionDays: 30 });
      assert.equal(later['revoked refresh tokens'], 1);
      assert.equal(later['idle refresh tokens of ended families'], 1);
      assert.deepEqual(await ids(store, 'refresh_tokens'), ['forever-1', 'forever-2', 'live-1', 'live-2']);
    });

    it('the retention is a setting', async () => {
      const counts = await purgeExpired(store, NOW, { logRetentionDays: 7 });
      assert.equal(counts['audit events'], 1);
    });
  });
}

describe('the purge timer of serve', () => {
  it('runs on its interval, logs what it deleted, and stops', async () => {
    const store = await storeKinds[0]!.open();
    try {
      await store.db
        .insertInto('events')
        .values({ id: 'ancient', date: Date.now() - 400 * DAY, type: 'fp' })
        .execute();
      const logged: unknown[] = [];
      const log = { info: (o: unknown) => logged.push(o), warn: (o: unknown) => logged.push(o) };
      const rt = { store, now: Date.now, config: loadConfig({}), log } as unknown as Runtime;
      const timer = schedulePurge(rt, 20);
      await sleep(150);
      timer.stop();
      assert.equal((await store.db.selectFrom('events').selectAll().execute()).length, 0);
      assert.deepEqual(logged[0], { purged: { ...(logged[0] as any).purged, 'audit events': 1 } });
    } finally {
      await store.close();
    }
  });
});

describe('the purge yields between batches', () => {
  it('other work runs while thousands of rows are deleted', async () => {
    const store = await storeKinds[0]!.open();
    try {
      const rows = Array.from({ length: 5000 }, (_, i) => ({ id: `e${i}`, date: 0, type: 'fp' }));
      for (let i = 0; i < rows.length; i += 500)
        await store.db
          .insertInto('events')
          .values(rows.slice(i, i + 500))
          .execute();
      let turns = 0;
      let done = false;
      const tick = () => {
        turns++;
        if (!done) setImmediate(tick);
      };
      setImmediate(tick);
      const counts = await purgeExpired(store, NOW, { logRetentionDays: 30 });
      done = true;
      assert.equal(counts['audit events'], 5000);
      assert.ok(turns >= 4, `the event loop turned ${turns} times during the purge`);
    } finally {
      await store.close();
    }
  });
});
