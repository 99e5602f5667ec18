import { UnavailableError } from '../errors/unavailable.js';

export { UnavailableError };

/** Socket errors: the peer is gone, refused or out of reach. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs that say "the server cannot do it now", not "the query is wrong":
 * class 08 (connection exception), 57 (operator intervention: admin_shutdown
 * 57P01, crash_shutdown 57P02, cannot_connect_now 57P03, query_canceled 57014
 * by statement_timeout), 53300 too_many_connections, 25P03
 * idle_in_transaction_session_timeout.
 */
function unavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('57') || code === '53300' || code === '25P03';
}

/** node-postgres and pg-pool say these in words only. */
const PG_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /query read timeout/i,
  /connection timeout/i,
  /client has encountered a connection error/i,
  /client was closed and is not queryable/i,
  /not queryable/i,
];

/** The database error `err` as an UnavailableError, or undefined when it is a real query error. */
export function classifyDatabaseError(err: unknown): UnavailableError | undefined {
  if (err instanceof UnavailableError) return err;
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  const message = err.message;
  if (
    typeof code === 'string' &&
    (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableSqlState(code)))
  )
    return new UnavailableError('database', `${code} ${message}`, { cause: err });
  if (PG_MESSAGES.some((re) => re.test(message)))
    return new UnavailableError('database', message, { cause: err });
  return undefined;
}
