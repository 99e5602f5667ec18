import pino, { type Logger } from 'pino';
import { assertSecret, type Config } from './config/config.js';
import { LoginTiming } from './identity/login-timing.js';
import type { VerifyResult } from './identity/passwords.js';
import { OUR_PROFILE } from './identity/passwords.js';
import { KeyStore } from './keys/keystore.js';
import { Admission } from './identity/admission.js';
import { createNotifier } from './notify/index.js';
import type { Notifier } from './notify/types.js';
import { SecretBox } from './store/secret-box.js';
import { type Counters, redisAddress } from './protection/counters.js';
import { Protection } from './protection/index.js';
import { ClusterClock, databaseNow } from './store/clock.js';
import { migrate, openStore, type Store, storeOptions } from './store/db.js';
import { listConnections } from './store/repos/connections.js';
import { hashProfilesOf } from './store/repos/users.js';
import { sealSettingsWith, sealStoredSecrets } from './store/repos/settings.js';
import { settingsBox } from './store/sealed-settings.js';

/**
 * Everything a request handler needs, built once at boot and passed down:
 * configuration, storage, keys, the clock and the logger.
 */
export interface Runtime {
  config: Config;
  store: Store;
  keys: KeyStore;
  /**
   * The clock, epoch milliseconds: the database's time (this node's clock
   * corrected by its measured offset), so that every node agrees; tests
   * inject their own.
   */
  now: () => number;
  log: Logger;
  /** Email and SMS delivery. */
  notify: Notifier;
  /** Attack protection: brute force, suspicious IPs, breached passwords (close it when done). */
  protection: Protection;
  /** Pads failed password checks to the slowest hash of their connection (login-timing.ts). */
  loginTiming: LoginTiming;
  /** Admission control in front of the hash pool (identity/admission.ts). */
  admission: Admission;
}

export interface RuntimeOptions {
  /** This node's own clock (default Date.now). Injected alone, it is trusted as is (tests). */
  now?: () => number;
  /** The database's clock (default: asked of the database, unless `now` is injected alone). */
  dbNow?: () => Promise<number>;
  log?: Logger;
  /** An already-open store (tests); otherwise config.databaseUrl is opened. */
  store?: Store;
  /** Senders to use instead of the configured ones (tests). */
  notify?: Notifier;
  /** The password check to use instead of argon2 (tests: a slow or blocked hasher). */
  verify?: (stored: string, password: string) => Promise<VerifyResult>;
  /** How many hashes run at once (tests; default: the pool's threads, at most the cores). */
  hashParallelism?: number;
  /** The hash cost admission control assumes instead of measuring it, ms (tests). */
  hashCostMs?: number;
  /** Attack-protection counters instead of the configured ones (a cluster worker: the primary's). */
  counters?: Counters;
}

/** Opens the store, runs the migrations and loads (or creates) the signing keys. */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  assertSecret(config.secret);
  const log = opts.log ?? pino({ level: config.logLevel, redact: REDACT });
  const store = opts.store ?? openStore(config.databaseUrl, storeOptions(config, log));
  await migrate(store);
  // openStore gave its own store the box; one handed in (a test's) gets it here. A wrong
  // TESSERA_SECRET fails the reseal below.
  if (opts.store) sealSettingsWith(store.db, settingsBox(config.secret));
  const resealed = await sealStoredSecrets(store.db);
  if (resealed.length > 0) log.info({ settings: resealed }, 'sealed the secret values stored plain');
  const now = await clusterClock(config, store, log, opts);
  const keys = new KeyStore(store, new SecretBox(config.secret), now);
  await keys.init();
  // Measured at boot: the cost of each kind of hash the connections hold.
  let loginTiming: LoginTiming | undefined;
  const admission = new Admission({
    budgetMs: config.admissionBudgetMs,
    parallelism: opts.hashParallelism,
    fixedCostMs: opts.hashCostMs,
    fallbackCostMs: () => loginTiming?.costOf(OUR_PROFILE),
  });
  loginTiming = new LoginTiming({
    profilesOf: (id) => hashProfilesOf(store.db, id),
    log,
    verify: opts.verify,
    gate: (hash) => admission.run(hash),
  });
  await loginTiming.prime((await listConnections(store.db)).map((c) => c.id));
  const notify = opts.notify ?? createNotifier(config, store, now);
  const protection = new Protection({ config, store, now, log, notify, counters: opts.counters });
  if (config.redisUrl && !(await protection.counters.ready(config.redisConnectTimeoutMs))) {
    log.warn(
      { redis: redisAddress(config.redisUrl) },
      'Redis (TESSERA_REDIS_URL) cannot be reached at boot: password logins are refused with 503 until it can',
    );
  }
  return { config, store, keys, now, log, notify, protection, loginTiming, admission };
}

/** The clock every node shares: the database's (see ClusterClock), unless a test injects its own. */
async function clusterClock(
  config: Config,
  store: Store,
  log: Logger,
  opts: RuntimeOptions,
): Promise<() => number> {
  if (opts.now && !opts.dbNow) return opts.now;
  let warned = false;
  const clock = new ClusterClock(
    opts.now ?? Date.now,
    opts.dbNow ?? (() => databaseNow(store)),
    (offset) => {
      const off = Math.abs(offset) > config.clockSkewMs;
      if (off && !warned)
        log.warn(
          { skew_ms: -offset },
          "this node's clock differs from the database's by more than TESSERA_CLOCK_SKEW: Tessera uses the database's time; fix the node's clock (NTP)",
        );
      warned = off;
    },
    (err) => log.warn({ err }, "could not read the database's clock; keeping the last offset"),
  );
  await clock.sync();
  return clock.now;
}

/** Log paths that could carry a secret; pino replaces them wholesale. */
export const REDACT = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'password',
    'client_secret',
    '*.password',
    '*.client_secret',
    '*.refresh_token',
    '*.access_token',
  ],
  censor: '[redacted]',
};
