import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type Config, assertSecret, readPem } from '../config/config.js';
import { schedulePurge } from '../events/retention.js';
import { outboxWarnings } from '../notify/index.js';
import type { Counters } from '../protection/counters.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { keepHelperThreadsLowered } from './helper-threads.js';
import { DEFAULTS } from '../config/defaults.js';
import { buildServer } from '../server.js';
import { isEmpty } from '../store/db.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { applyTenant } from '../tenant/apply.js';
import { parseTenantFile } from '../tenant/parse.js';

/** The demo tenant shipped with Tessera, applied by `tessera dev` to a new database. */
export const DEMO_TENANT = fileURLToPath(new URL('../../examples/demo-tenant.yaml', import.meta.url));

/** How a worker of `tessera serve --workers N` differs from a server of its own (cluster.ts). */
export interface WorkerRole {
  /** 0 for the first worker: the one that purges. */
  index: number;
  /** Hashes this worker runs at once: its share of the cores. */
  hashParallelism: number;
  /** The primary's counters, when there is no Redis. */
  counters?: Counters;
}

export interface Started {
  rt: Runtime;
  app: FastifyInstance;
  url: string;
}

/**
 * Boots Tessera: runtime (migrations, keys), optionally the demo tenant on a
 * new database, then listens. SIGTERM/SIGINT/SIGHUP close gracefully: no new
 * connections, requests arriving on open ones get a 503 with Retry-After,
 * in-flight requests finish, the database closes.
 */
export async function startServer(
  config: Config,
  opts: { demo?: boolean; worker?: WorkerRole } = {},
): Promise<Started> {
  assertSecret(config.secret);
  const { worker } = opts;
  const rt = await createRuntime(
    config,
    worker ? { counters: worker.counters, hashParallelism: worker.hashParallelism } : {},
  );
  // tessera dev uses the outbox on purpose; in production it is worth saying.
  if (!opts.demo && (worker?.index ?? 0) === 0) for (const w of outboxWarnings(config)) rt.log.warn(w);
  if (opts.demo && (await isEmpty(rt.store))) {
    const report = await applyTenant(
      rt.store,
      parseTenantFile(readFileSync(DEMO_TENANT, 'utf8'), process.env),
      {},
    );
    rt.log.info({ created: report.created.length }, `applied the demo tenant ${DEMO_TENANT}`);
  }
  if (!process.env.TESSERA_ISSUER) {
    const { issuer } = await getTenantSettings(rt.store.db);
    if (issuer) rt.config.issuer = issuer.endsWith('/') ? issuer : `${issuer}/`;
  }
  const https =
    config.tlsCert && config.tlsKey
      ? { cert: readPem('TESSERA_TLS_CERT', config.tlsCert), key: readPem('TESSERA_TLS_KEY', config.tlsKey) }
      : undefined;
  const app = await buildServer(rt, { https });
  const helpers = await keepHelperThreadsLowered(config.helperThreadsNice, DEFAULTS.rules.threadsNiceCheckMs);
  app.addHook('onClose', async () => helpers.stop());
  const lowered = helpers.lowered;
  if (lowered > 0 && (worker?.index ?? 0) === 0) {
    rt.log.info(
      { threads: lowered, by: config.helperThreadsNice },
      "helper threads (hash pool, V8, and the sandbox's, once started) run at a lower CPU priority than the event loop (TESSERA_HELPER_THREADS_NICE)",
    );
  }
  if (config.purgeIntervalMinutes > 0 && (worker?.index ?? 0) === 0) {
    const purge = schedulePurge(rt, config.purgeIntervalMinutes * 60_000);
    app.addHook('onClose', async () => purge.stop());
  }
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    rt.log.info({ signal }, 'shutting down');
    await app.close();
    await rt.protection.close();
    await rt.store.close();
    process.exit(0);
  };
  // `on`, not `once`: Ctrl-C reaches both the shim (src/cli/bin.ts), which passes it on, and this
  // process; a second signal while closing must not end the process before requests finish.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.on(signal, () => void shutdown(signal));
  // Listening only once a signal can be handled: one sent right after "listening" must not kill.
  // A worker's own line must not read as the server's: the primary says "Server listening" once all are.
  const url = await app.listen({
    host: config.host,
    port: config.port,
    ...(worker
      ? { listenTextResolver: (address: string) => `worker ${worker.index} listening at ${address}` }
      : {}),
  });
  return { rt, app, url };
}
