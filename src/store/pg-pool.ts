import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { isUnbounded, remainingMs, scopeDeadlines } from './deadline.js';
import { throttledWarn } from './throttled-log.js';
import { classifyDatabaseError, UnavailableError } from './unavailable.js';
import { DEFAULTS } from '../config/defaults.js';

export interface PgPoolOptions {
  poolSize?: number;
  /** search_path for every connection (isolates tests). */
  schema?: string;
  /** Opening one connection, ms. */
  connectTimeoutMs: number;
  /** Waiting for a pooled connection (opening one included), ms. */
  acquireTimeoutMs: number;
  /** One statement, ms: PostgreSQL cancels it (statement_timeout); a frozen server is given up on soon after. */
  statementTimeoutMs: number;
  log: Logger;
}

/** The client side waits this much longer than statement_timeout, so a live server's own cancel comes first. */
const CLIENT_GRACE_MS = DEFAULTS.outbound.pgClientGraceMs;

/**
 * A pg Pool for Kysely that an outage cannot crash or hang. Every pool and
 * client error has a listener (an idle connection closed by a restart, a
 * failover, pg_terminate_backend or a proxy would otherwise be an uncaught
 * 'error' and end the process); a connection that failed or timed out is
 * dropped, not reused; connecting, acquiring and every statement are bounded,
 * and no query starts past the request's deadline. Failures that mean "the
 * database is unreachable now" become UnavailableError (a 503 at the edge).
 */
export function createPgPool(url: string, opts: PgPoolOptions): PostgresPool {
  // The statement timeout and the wait for a connection follow the request's deadline, read per query.
  scopeDeadlines();
  const warn = throttledWarn(opts.log);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    statement_timeout: opts.statementTimeoutMs,
    // A transaction left open by a client that went silent holds locks: PostgreSQL ends it.
    idle_in_transaction_session_timeout: opts.statementTimeoutMs * 2,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  pool.on('error', (err) => {
    // pg-pool has already removed the failed idle client; the next query opens a new one.
    warn(
      'pg-idle',
      { reason: err.message, code: (err as { code?: string }).code },
      'an idle PostgreSQL connection failed; it will be replaced',
    );
  });
  const queryTimeout = opts.statementTimeoutMs + CLIENT_GRACE_MS;

  const acquire = (): Promise<pg.PoolClient> => {
    const budget = Math.min(opts.acquireTimeoutMs, remainingMs() ?? Number.POSITIVE_INFINITY);
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new UnavailableError('database', `no connection within ${budget} ms`));
      }, budget);
      pool.connect().then(
        (client) => {
          clearTimeout(timer);
          if (late) client.release();
          else resolve(client);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (!late) reject(classifyDatabaseError(err) ?? err);
        },
      );
    });
  };

  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await acquire();
      let broken: Error | undefined;
      // Maintenance lifts the timeouts on this connection, which is then closed, not pooled.
      const maintenance = isUnbounded();
      if (maintenance) {
        await client
          .query('SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0')
          .catch((err) => {
            client.release(err as Error);
            throw classifyDatabaseError(err) ?? err;
          });
      }
      const onError = (err: Error) => {
        broken = err;
        warn(
          'pg-client',
          { reason: err.message, code: (err as { code?: string }).code },
          'a PostgreSQL connection in use failed; it will be replaced',
        );
      };
      client.on('error', onError);
      return {
        async query(sql: unknown, parameters?: readonly unknown[]) {
          if (typeof sql !== 'string') return client.query(sql as never);
          // A rollback always runs: it is what ends a transaction cut short.
          const left = /^\s*rollback\b/i.test(sql) ? undefined : remainingMs();
          try {
            return await client.query({
              text: sql,
              values: parameters as unknown[],
              query_timeout: maintenance ? undefined : Math.min(queryTimeout, left ?? queryTimeout),
            } as pg.QueryConfig);
          } catch (err) {
            const unavailable = classifyDatabaseError(err);
            if (!unavailable) throw err;
            broken = err as Error;
            throw unavailable;
          }
        },
        release(discard?: boolean) {
          client.removeListener('error', onError);
          client.release(broken ?? (discard || maintenance ? true : undefined));
        },
      } as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
