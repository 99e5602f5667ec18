import type { Runtime } from '../runtime.js';
import { MFA_LIMITS } from '../mfa/settings.js';
import { ATTEMPTS_WINDOW_S } from '../protection/counters.js';
import type { Store } from '../store/db.js';
import { deleteInBatches, type PurgeTarget } from '../store/repos/purge.js';
import { DEFAULTS } from '../config/defaults.js';

const DAY_MS = 86_400_000;

/**
 * Expired security state is deleted this long after it ended, not at once:
 * nodes whose clocks differ a little still agree that it is over, and an
 * operator looking into an incident finds yesterday's rows.
 */
export const EXPIRED_GRACE_MS = DEFAULTS.retention.expiredGraceMs;

/** Rows per DELETE statement: short statements never hold the database for long. */
export const PURGE_BATCH_SIZE = DEFAULTS.retention.purgeBatchSize;

export interface RetentionOptions {
  /** Audit events and outbox messages older than this go (TESSERA_LOG_RETENTION_DAYS). */
  logRetentionDays: number;
  batchSize?: number;
}

/**
 * What the purge deletes, by name (the names `tessera purge` prints). A
 * refresh token row goes only when nothing can use it any more and keeping
 * it detects nothing: revoked, or past its family's absolute lifetime, or
 * idle-expired in a family with no live token left. The rotated-away tokens
 * of a live family stay, so a stolen one coming back still revokes it.
 */
function targets(now: number, opts: RetentionOptions): [string, PurgeTarget][] {
  const logsBefore = now - opts.logRetentionDays * DAY_MS;
  const ended = now - EXPIRED_GRACE_MS;
  // A bucket untouched for this long has refilled: deleting it equals a full one.
  const bucketFullBefore = ended - MFA_LIMITS.bucketCapacity * MFA_LIMITS.bucketRefillMs;
  // The block mirror's own horizon (see protection/block-mirror.ts).
  const blocksBefore = now - ATTEMPTS_WINDOW_S * 1000;
  return [
    ['audit events', { table: 'events', key: 'seq', where: (eb) => eb('date', '<', logsBefore) }],
    [
      'revoked refresh tokens',
      { table: 'refresh_tokens', key: 'id', where: (eb) => eb('revoked_at', '<', ended) },
    ],
    [
      'expired refresh tokens',
      { table: 'refresh_tokens', key: 'id', where: (eb) => eb('expires_at', '<', ended) },
    ],
    [
      'idle refresh tokens of ended families',
      {
        table: 'refresh_tokens',
        key: 'id',
        where: (eb) =>
          eb.and([
            eb('idle_expires_at', '<', ended),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('refresh_tokens as live')
                  .select('live.id')
                  .whereRef('live.family_id', '=', 'refresh_tokens.family_id')
                  .where('live.revoked_at', 'is', null)
                  .where('live.rotated_at', 'is', null)
                  .where((l) => l.or([l('live.expires_at', 'is', null), l('live.expires_at', '>', now)]))
                  .where((l) =>
                    l.or([l('live.idle_expires_at', 'is', null), l('live.idle_expires_at', '>', now)]),
                  ),
              ),
            ),
          ]),
      },
    ],
    [
      'MFA transactions',
      { table: 'mfa_transactions', key: 'id', where: (eb) => eb('expires_at', '<', ended) },
    ],
    ['MFA challenges', { table: 'mfa_challenges', key: 'id', where: (eb) => eb('expires_at', '<', ended) }],
    [
      'MFA attempt buckets',
      { table: 'mfa_attempts', key: 'user_id', where: (eb) => eb('updated_at', '<', bucketFullBefore) },
    ],
    [
      'used unblock tickets',
      { table: 'protection_tickets', key: 'id', where: (eb) => eb('expires_at', '<', ended) },
    ],
    [
      'lifted blocks',
      { table: 'protection_blocks', key: 'id', where: (eb) => eb('lifted_at', '<', blocksBefore) },
    ],
    [
      'ended IP throttles',
      { table: 'protection_blocks', key: 'id', where: (eb) => eb('expires_at', '<', blocksBefore) },
    ],
    ['outbox messages', { table: 'outbox', key: 'id', where: (eb) => eb('created_at', '<', logsBefore) }],
    // A Management API job's status and errors are the record of its time, kept as long as its logs;
    // one not yet finished stays (index jobs_status).
    [
      'finished jobs',
      {
        table: 'jobs',
        key: 'id',
        where: (eb) =>
          eb.and([eb('status', 'in', ['completed', 'failed']), eb('updated_at', '<', logsBefore)]),
      },
    ],
    // A code that no longer works need not rest anywhere, sealed or not.
    [
      'outbox messages with an expired code',
      { table: 'outbox', key: 'id', where: (eb) => eb('expires_at', '<', now) },
    ],
  ];
}

export type PurgeCounts = Record<string, number>;

/**
 * Deletes audit events past retention and security state that has ended,
 * in batches (see deleteInBatches). Safe to run on several nodes at once.
 */
export async function purgeExpired(store: Store, now: number, opts: RetentionOptions): Promise<PurgeCounts> {
  const counts: PurgeCounts = {};
  for (const [name, target] of targets(now, opts)) {
    counts[name] = await deleteInBatches(store.db, target, opts.batchSize ?? PURGE_BATCH_SIZE);
  }
  return counts;
}

/**
 * Runs the purge every `intervalMs` (±20 % jitter, so that nodes started
 * together do not purge together), the first run one jittered interval
 * after boot. The timer is unref'd: it never keeps the process alive.
 */
export function schedulePurge(rt: Runtime, intervalMs: number): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(run, Math.round(intervalMs * (0.8 + Math.random() * 0.4)));
    timer.unref();
  };
  const run = async () => {
    try {
      const counts = await purgeExpired(rt.store, rt.now(), {
        logRetentionDays: rt.config.logRetentionDays,
      });
      const deleted = Object.values(counts).reduce((a, b) => a + b, 0);
      if (deleted > 0) rt.log.info({ purged: counts }, `purged ${deleted} expired rows`);
    } catch (err) {
      rt.log.warn({ err }, 'purge of expired rows failed; it runs again at the next interval');
    }
    next();
  };
  next();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
