import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../config/config.js';
import { migrate, openStore, type Store, storeOptions } from '../store/db.js';
import { diskFullMessage } from '../store/disk-full.js';

/**
 * The secret a command seals action secrets and rules-config values with,
 * as the server does: TESSERA_SECRET, else the development secret `tessera
 * dev` generated (when there is one), else none ('': written plain, and
 * sealed at the server's next start).
 */
export function storeSecret(config: Config): string {
  if (config.secret) return config.secret;
  return existsSync(devSecretFile(config)) ? readDevSecret(config) : '';
}

/** Where `tessera dev` keeps its generated secret. */
const devSecretFile = (config: Config) => join(config.dataDir, 'secret');
const readDevSecret = (config: Config) => readFileSync(devSecretFile(config), 'utf8').trim();

/** Opens the configured database and brings its schema up to date (commands without a server). */
export async function openMigratedStore(config: Config = loadConfig()): Promise<Store> {
  const store = openStore(config.databaseUrl, storeOptions({ ...config, secret: storeSecret(config) }));
  await migrate(store);
  return store;
}

/** Runs `fn` on the configured, migrated database and closes it however `fn` ends. */
export async function withStore<T>(
  fn: (store: Store) => Promise<T>,
  config: Config = loadConfig(),
): Promise<T> {
  const store = await openMigratedStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * The secret for `tessera dev`: TESSERA_SECRET when set, else one generated
 * once into the data directory (with a warning: fine for a laptop, not for
 * production).
 */
export function devSecret(config: Config, warn: (msg: string) => void): string {
  if (config.secret) return config.secret;
  const file = devSecretFile(config);
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
    warn(
      `generated a development secret in ${file}; set TESSERA_SECRET in production (tessera serve requires it)`,
    );
  }
  return readDevSecret(config);
}

/** Reads a file named on the command line; a failure says which file, for what, and why in words. */
export function readTextFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (err as Error).message;
    throw new Error(`cannot read ${what} ${file}: ${why}`);
  }
}

/** A command-line option that must be a whole number of at least 1, with an error naming it. */
export function positiveInteger(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${option} must be a positive integer, got "${value}"`);
  return n;
}

/** Runs a CLI action and turns a thrown error into a message and exit code 1. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const full = diskFullMessage(err);
      process.stderr.write(`tessera: ${(err as Error).message}${full ? `: ${full}` : ''}\n`);
      process.exitCode = 1;
    }
  };
}
