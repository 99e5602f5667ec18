import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { UnavailableError } from './unavailable.js';

/**
 * How long the request being served may still use the database. A request
 * whose client is gone, or whose deadline passed, runs no further query: a
 * transaction in progress fails and rolls back instead of committing work
 * nobody waits for.
 */
export interface Deadline {
  /** performance.now() after which no query starts. */
  readonly at: number;
  /** Set when the client closed the connection before the answer. */
  gone: boolean;
  /** Maintenance (migrations): no statement timeout either. */
  readonly unbounded?: boolean;
}

const current = new AsyncLocalStorage<Deadline>();

/** Runs `fn` (and everything it starts) under a deadline `ms` from now. */
export function withDeadline<T>(ms: number, fn: (deadline: Deadline) => T): T {
  const deadline: Deadline = { at: performance.now() + ms, gone: false };
  return current.run(deadline, () => fn(deadline));
}

/**
 * Milliseconds left for the current request's next query (undefined outside
 * a request); throws when none is left.
 */
export function remainingMs(): number | undefined {
  const d = current.getStore();
  if (!d) return undefined;
  if (d.gone) throw new UnavailableError('database', 'the client went away before its request was done');
  const left = d.at - performance.now();
  if (left <= 0) throw new UnavailableError('database', 'the request ran out of time for its database work');
  return Math.ceil(left);
}

/** True when the current request's client has closed the connection before its answer. */
export function clientGone(): boolean {
  return current.getStore()?.gone === true;
}

/**
 * Runs `fn` outside any request's deadline: work several requests share
 * (a cached configuration read, a background refresh) must not fail because
 * the request that happened to start it was abandoned.
 */
export function outsideRequest<T>(fn: () => T): T {
  return current.exit(fn);
}

/**
 * Runs `fn` without deadline or statement timeout: schema migrations, which
 * may rightly run for minutes on a large table, on connections of their own
 * that are closed afterwards.
 */
export function unbounded<T>(fn: () => T): T {
  return current.run({ at: Number.POSITIVE_INFINITY, gone: false, unbounded: true }, fn);
}

/** True inside `unbounded`. */
export function isUnbounded(): boolean {
  return current.getStore()?.unbounded === true;
}
