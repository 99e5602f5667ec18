import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { preparedName } from './compiled.js';
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
  /** Hot queries as named prepared statements (preparedName); false behind a pooler that cannot keep them. */
  prepared?: boolean;
  log: Logger;
}

/** The client side waits this much longer than statement_timeout, so a live server's own cancel comes first. */
const CLIENT_GRACE_MS = DEFAULTS.outbound.pgClientGraceMs;

/** Statements that open and end a transaction (Kysely's), not a savepoint's rollback. */
const BEGINS = /^\s*(begin|start\s+transaction)\b/i;
const ENDS = /^\s*(commit|end|rollback(?!\s+to\b))\b/i;

/**
 * PostgreSQL refuses a prepared statement whose result columns changed
 * since it was planned (a column added to a table it selects `*` from):
 * SQLSTATE 0A000 on that connection, for as long as the statement lives.
 */
function stalePlan(err: unknown): boolean {
  return (
    (err as { code?: unknown })?.code === '0A000' &&
    /cached plan must not change result type/i.test((err as Error).message)
  );
}

/**
 * A pg Pool for Kysely that an outage cannot crash or hang. Every pool and
 * client error has a listener (an idle connection closed by a restart, a
 * failover, pg_terminate_backend or a proxy would otherwise be an uncaught
 * 'error' and end the process); a connection that failed or timed out is
 * dropped, not reused; connecting, acquiring and every statement are bounded,
 * and no query starts past the request's deadline. Failures that mean "the
 * database is unreachable now" become UnavailableError (a 503 at the edge).
 *
 * The hot path's compiled queries (store/compiled.ts) run as named prepared
 * statements, parsed and planned once per connection (README, round 9: a
 * rotating refresh's machine CPU fell by about a fifth). A schema change
 * that alters such a statement's result columns (a migration, perhaps run
 * by another node) makes PostgreSQL refuse it on every connection that
 * prepared it: the query is then run again unprepared (outside a
 * transaction) or refused with 503 (inside one), and the connection is
 * replaced. `prepared: false` turns the naming off, for a pooler that does
 * not keep prepared statements (PgBouncer in transaction mode before 1.21).
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
  const prepare = opts.prepared ?? true;

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
      /** Whether a transaction is open on the connection (a failed statement then aborts it). */
      let inTransaction = false;
      /** Runs one statement; a failure that means "unreachable now" is an UnavailableError and breaks the connection. */
      const run = async (config: pg.QueryConfig) => {
        try {
          return await client.query(config);
        } catch (err) {
          const unavailable = classifyDatabaseError(err);
          if (!unavailable) throw err;
          broken = err as Error;
          throw unavailable;
        }
      };
      return {
        async query(sql: unknown, parameters?: readonly unknown[]) {
          if (typeof sql !== 'string') return client.query(sql as never);
          // A rollback always runs: it is what ends a transaction cut short.
          const left = /^\s*rollback\b/i.test(sql) ? undefined : remainingMs();
          if (BEGINS.test(sql)) inTransaction = true;
          else if (ENDS.test(sql)) inTransaction = false;
          const config = {
            text: sql,
            values: parameters as unknown[],
            query_timeout: maintenance ? undefined : Math.min(queryTimeout, left ?? queryTimeout),
          } as pg.QueryConfig;
          const name = prepare && !maintenance ? preparedName(sql) : undefined;
          if (!name) return run(config);
          try {
            return await run({ ...config, name });
          } catch (err) {
            if (!stalePlan(err)) throw err;
            // Its other prepared statements may be stale too: the connection is not pooled again.
            broken = err as Error;
            warn(
              'pg-stale-plan',
              { reason: (err as Error).message },
              'a prepared statement went stale after a schema change; the connection will be replaced',
            );
            // Outside a transaction the same query runs again, unprepared; inside one, the
            // transaction is aborted already, and the request is refused (503) to be retried.
            if (!inTransaction) return run(config);
            throw new UnavailableError(
              'database',
              'a prepared statement went stale after a schema change (a migration, perhaps on another node); the connection is replaced, so a retry succeeds',
              { cause: err },
            );
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
