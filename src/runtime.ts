import pino, { type Logger } from 'pino';
import { assertSecret, type Config } from './config/config.js';
import { primeDummyHash } from './identity/passwords.js';
import { KeyStore } from './keys/keystore.js';
import { createNotifier } from './notify/index.js';
import type { Notifier } from './notify/types.js';
import { SecretBox } from './keys/secret-box.js';
import { redisAddress } from './protection/counters.js';
import { Protection } from './protection/index.js';
import { migrate, openStore, type Store, storeOptions } from './store/db.js';

/**
 * Everything a request handler needs, built once at boot and passed down:
 * configuration, storage, keys, the clock and the logger.
 */
export interface Runtime {
  config: Config;
  store: Store;
  keys: KeyStore;
  /** The clock, epoch milliseconds; tests inject their own. */
  now: () => number;
  log: Logger;
  /** Email and SMS delivery. */
  notify: Notifier;
  /** Attack protection: brute force, suspicious IPs, breached passwords (close it when done). */
  protection: Protection;
}

export interface RuntimeOptions {
  now?: () => number;
  log?: Logger;
  /** An already-open store (tests); otherwise config.databaseUrl is opened. */
  store?: Store;
  /** Senders to use instead of the configured ones (tests). */
  notify?: Notifier;
}

/** Opens the store, runs the migrations and loads (or creates) the signing keys. */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  assertSecret(config.secret);
  const now = opts.now ?? Date.now;
  const log = opts.log ?? pino({ level: config.logLevel, redact: REDACT });
  const store = opts.store ?? openStore(config.databaseUrl, storeOptions(config, log));
  await migrate(store);
  const keys = new KeyStore(store, new SecretBox(config.secret), now);
  await keys.init();
  await primeDummyHash();
  const notify = opts.notify ?? createNotifier(config, store, now);
  const protection = new Protection({ config, store, now, log, notify });
  if (config.redisUrl && !(await protection.counters.ready(config.redisConnectTimeoutMs))) {
    log.warn(
      { redis: redisAddress(config.redisUrl) },
      'Redis (TESSERA_REDIS_URL) cannot be reached at boot: password logins are refused with 503 until it can',
    );
  }
  return { config, store, keys, now, log, notify, protection };
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
