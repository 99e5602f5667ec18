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

/**
 * Whether a request's deadline is also its async context, where the store's
 * driver finds it at each query (`remainingMs`, `isUnbounded`). Only
 * PostgreSQL's pool reads it there (a statement timeout, a wait for a
 * connection), so only that store turns it on (`scopeDeadlines`). Until one
 * does, no AsyncLocalStorage is entered: entering one turns on Node's
 * promise hooks for the whole process, which cost a SQLite login about a
 * tenth of its own CPU (issue 17). What else reads a deadline (admission
 * control, attack protection's waits) is handed it by the request.
 */
let scoped = false;

/** Makes every later request's deadline its async context (PostgreSQL's pool reads it per query). */
export function scopeDeadlines(): void {
  scoped = true;
}

/** True once a store reads deadlines from the async context (`scopeDeadlines`). */
export function deadlinesScoped(): boolean {
  return scoped;
}

/** Runs `fn` under a deadline `ms` from now (and, once scoped, everything it starts). */
export function withDeadline<T>(ms: number, fn: (deadline: Deadline) => T): T {
  const deadline: Deadline = { at: performance.now() + ms, gone: false };
  return scoped ? current.run(deadline, () => fn(deadline)) : fn(deadline);
}

/**
 * Milliseconds left for the current request's next query (undefined outside
 * a request, or while deadlines are not scoped); throws when none is left.
 */
export function remainingMs(): number | undefined {
  const d = current.getStore();
  return d && msLeft(d);
}

/** Milliseconds left of `d`; throws when its client is gone or no time is left. */
export function msLeft(d: Deadline): number {
  if (d.gone) throw new UnavailableError('database', 'the client went away before its request was done');
  const left = d.at - performance.now();
  if (left <= 0) throw new UnavailableError('database', 'the request ran out of time for its database work');
  return Math.ceil(left);
}

/**
 * Runs `fn` outside any request's deadline: work several requests share
 * (a cached configuration read, a background refresh) must not fail because
 * the request that happened to start it was abandoned.
 */
export function outsideRequest<T>(fn: () => T): T {
  return scoped ? current.exit(fn) : fn();
}

/**
 * Runs `fn` without deadline or statement timeout: schema migrations, which
 * may rightly run for minutes on a large table, on connections of their own
 * that are closed afterwards.
 */
export function unbounded<T>(fn: () => T): T {
  return scoped ? current.run({ at: Number.POSITIVE_INFINITY, gone: false, unbounded: true }, fn) : fn();
}

/** True inside `unbounded`. */
export function isUnbounded(): boolean {
  return current.getStore()?.unbounded === true;
}

/**
 * The deadline of the request being served: undefined outside one, or while
 * deadlines are not scoped. For work handed on to run later under the same
 * deadline (underDeadline; store/pg-batch.ts).
 */
export function currentDeadline(): Deadline | undefined {
  return current.getStore();
}

/** Runs `fn` under `deadline` (a request's, handed on), or outside any request's when undefined. */
export function underDeadline<T>(deadline: Deadline | undefined, fn: () => T): T {
  if (!scoped) return fn();
  return deadline ? current.run(deadline, fn) : current.exit(fn);
}
