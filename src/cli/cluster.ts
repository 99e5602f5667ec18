import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import pino, { type Logger } from 'pino';
import { type Config, assertSecret } from '../config/config.js';
import { KeyStore } from '../keys/keystore.js';
import { SecretBox } from '../store/secret-box.js';
import { type Channel, CounterHost, PrimaryCounters } from '../protection/shared-counters.js';
import { REDACT } from '../runtime.js';
import { ClusterClock, databaseNow } from '../store/clock.js';
import { migrate, openStore, storeOptions } from '../store/db.js';
import { startServer } from './serve.js';

/*
 * `tessera serve --workers N`: one primary process and N workers (node:cluster),
 * all accepting on the same port. The primary prepares the database (migrations,
 * the first signing key) once, holds the attack-protection counters when there
 * is no Redis (protection/shared-counters.ts), starts a worker again when one
 * dies, and drains them all on SIGTERM/SIGINT/SIGHUP. Everything else a worker
 * shares with the others the way nodes share it: through the database (keys
 * and tenant configuration re-read within 5 s, blocks, refresh tokens) or Redis.
 * So a configuration write made inside one worker (none today: they come from
 * `tessera apply`) clears that worker's cache at once and the others' within
 * 5 s, and suspicious-IP throttling's wait for "this node's logins in flight"
 * (protection/attempt.ts) sees the logins of its own worker.
 */

const INDEX_ENV = 'TESSERA_WORKER_INDEX';
const HASHES_ENV = 'TESSERA_WORKER_HASHES';
const SHARED_ENV = 'TESSERA_WORKER_PRIMARY_COUNTERS';
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
/** A worker that died while serving is started again after this pause. */
const RESTART_DELAY_MS = 1_000;

/** Whether this process is a worker of `tessera serve --workers N`. */
export const isWorker = (): boolean => cluster.isWorker && process.env[INDEX_ENV] !== undefined;

/** The default of `--workers`: one per core. */
export const defaultWorkers = (): number => availableParallelism();

/** The `--workers` value, checked: a whole number from 1 to 256. */
export function parseWorkers(v: string | undefined): number {
  if (v === undefined) return defaultWorkers();
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < 1 || n > 256)
    throw new Error(`--workers must be a whole number from 1 to 256, got "${v}"`);
  return n;
}

/** Migrations and the first signing key, once, before any worker starts (workers would race for both). */
async function prepareDatabase(config: Config, log: Logger): Promise<void> {
  const store = openStore(config.databaseUrl, storeOptions(config, log));
  try {
    await migrate(store);
    const clock = new ClusterClock(Date.now, () => databaseNow(store));
    await clock.sync();
    await new KeyStore(store, new SecretBox(config.secret), clock.now).init();
  } finally {
    await store.close();
  }
}

/**
 * The primary: prepares the database, starts `workers` workers and resolves
 * once every one listens (logging "Server listening at URL" once, with the
 * primary's pid: the process to signal). A worker failing at boot stops all.
 */
export async function startCluster(config: Config, workers: number): Promise<{ url: string }> {
  assertSecret(config.secret);
  const log = pino({ level: config.logLevel, redact: REDACT });
  await prepareDatabase(config, log);
  const host = config.redisUrl ? undefined : new CounterHost();
  const hashes = Math.max(1, Math.floor(availableParallelism() / workers));
  const live = new Set<Worker>();
  let closing = false;
  let booted = false;
  let bootFailed: ((err: Error) => void) | undefined;
  let failed = false;

  const exitWhenAllGone = async () => {
    if (live.size || failed) return;
    await host?.close();
    process.exit(0);
  };
  const fork = (index: number, onListening?: (url: string) => void) => {
    const w = cluster.fork({
      [INDEX_ENV]: String(index),
      [HASHES_ENV]: String(hashes),
      [SHARED_ENV]: host ? '1' : '0',
    });
    live.add(w);
    host?.serve(w as unknown as Channel);
    w.on('message', (m: { tessera?: string; url?: string }) => {
      if (m?.tessera === 'listening' && m.url) onListening?.(m.url);
    });
    w.on('exit', (code, signal) => {
      live.delete(w);
      if (closing || code === 0) {
        // A worker that stopped by itself (a signal sent to the whole group): the others follow.
        if (!closing) void shutdown('worker exit');
        void exitWhenAllGone();
        return;
      }
      if (!booted) {
        bootFailed?.(new Error(`worker ${index} exited with ${signal ?? code} while starting`));
        return;
      }
      log.error({ worker: index, code, signal }, 'a worker died; starting it again');
      setTimeout(() => {
        if (!closing) fork(index);
      }, RESTART_DELAY_MS);
    });
  };
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    // Each worker drains (in-flight requests finish, new ones on open connections get a 503) and exits.
    for (const w of live) w.process.kill('SIGTERM');
    await exitWhenAllGone();
  };
  for (const signal of SIGNALS) process.on(signal, () => void shutdown(signal));

  const url = await new Promise<string>((resolve, reject) => {
    let ready = 0;
    bootFailed = (err) => {
      if (failed) return;
      failed = true;
      closing = true;
      for (const w of live) w.process.kill('SIGKILL');
      reject(err);
    };
    for (let i = 0; i < workers; i++)
      fork(i, (u) => {
        if (++ready === workers) resolve(u);
      });
  });
  booted = true;
  log.info({ workers, counters: host ? 'primary' : 'redis' }, `Server listening at ${url}`);
  return { url };
}

/**
 * A worker: a server of its own on the shared port, with the primary's
 * counters when there is no Redis. A worker that cannot start says why and
 * exits 1 (the IPC channel would keep it alive), which stops the primary.
 */
export async function runWorker(config: Config): Promise<void> {
  const index = Number(process.env[INDEX_ENV]);
  try {
    const { url } = await startServer(config, {
      worker: {
        index,
        hashParallelism: Number(process.env[HASHES_ENV]) || 1,
        counters: process.env[SHARED_ENV] === '1' ? new PrimaryCounters() : undefined,
      },
    });
    process.send?.({ tessera: 'listening', url });
  } catch (err) {
    process.stderr.write(`tessera: worker ${index}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
