import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type RateLimiterAbstract, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { throttledWarn } from '../store/throttled-log.js';
import {
  type BucketTake,
  bucketState,
  giveBackToken,
  peekToken,
  REDIS_GIVE_BACK,
  REDIS_TAKE,
  takeToken,
} from '../store/token-bucket.js';
import { UnavailableError } from '../errors/index.js';
import { DEFAULTS } from '../config/defaults.js';

/**
 * Failed-login counters. Brute-force attempts are counters with a time to
 * live (in Redis rate-limiter-flexible's atomic increment); the per-IP throttle
 * and the account limits are token buckets (store/token-bucket.ts: GCRA, one
 * stored time per key), which rate-limiter-flexible does not offer, kept next
 * to them in the same backend. Memory serves a
 * single process (or the workers of one `tessera serve --workers N`, held by
 * its primary: shared-counters.ts); Redis (TESSERA_REDIS_URL) serves several nodes.
 */
export type { BucketTake };

export interface Counters {
  /** Where the counts live: this process, Redis, or the cluster primary's memory (shared-counters.ts). */
  readonly kind: 'memory' | 'redis' | 'primary';
  /** Counts one more attempt on `key` (atomically); returns the count, this one included. */
  attempt(key: string): Promise<number>;
  /** Takes back one attempt that ended without a verdict. */
  refund(key: string): Promise<void>;
  /** Forgets the attempts on `key` (a success, a lifted block). */
  reset(key: string): Promise<void>;
  /**
   * Takes one token from the bucket of `key` (capacity `capacity`, one token
   * regained every `rateMs`). `waitMs`: how long until a token is there again
   * (0 while tokens remain; > 0 with `ok` when this take emptied the bucket).
   * `remaining`: the tokens left; `fullAt`: when the bucket is full again.
   */
  take(key: string, capacity: number, rateMs: number, now: number): Promise<BucketTake>;
  /** The bucket of `key` as it stands, taking nothing. */
  peek(key: string, capacity: number, rateMs: number, now: number): Promise<BucketTake>;
  /** Puts back a token taken by `take` (never above capacity). */
  giveBack(key: string, rateMs: number, now: number): Promise<void>;
  /** Fills the bucket of `key` again. */
  refill(key: string): Promise<void>;
  /** Resolves true once the backend answers, false when it did not within `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Failed attempts older than this are forgotten (kept under setTimeout's 24.8-day limit). */
export const ATTEMPTS_WINDOW_S = DEFAULTS.protection.attemptsWindowS;

const NO_LIMIT = Number.MAX_SAFE_INTEGER;

abstract class AttemptCounters {
  constructor(protected readonly limiter: RateLimiterAbstract) {}

  /** How a backend's failures reach the caller (Redis: as UnavailableError). */
  protected guard<T>(op: Promise<T>): Promise<T> {
    return op;
  }

  async attempt(key: string): Promise<number> {
    return (await this.guard(this.limiter.consume(key, 1))).consumedPoints;
  }

  async refund(key: string): Promise<void> {
    await this.guard(this.limiter.reward(key, 1));
  }

  async reset(key: string): Promise<void> {
    await this.guard(this.limiter.delete(key));
  }
}

/**
 * In memory, the brute-force attempts are a plain map: what
 * RateLimiterMemory keeps (a count per key, forgotten ATTEMPTS_WINDOW_S
 * after its first attempt), without its timer per key, promise and result
 * object per call, which every password login paid twice (an attempt, then
 * a reset). Expired counts are swept now and then, like the buckets.
 */
class MemoryCounters implements Counters {
  readonly kind = 'memory';
  /** Per key, the attempts counted and when they are forgotten (Date.now() ms). */
  private readonly attempts = new Map<string, { count: number; expiresAt: number }>();
  /** Per key, the bucket's theoretical arrival time: the bucket is full again then. */
  private readonly buckets = new Map<string, number>();
  private lastSweep = 0;
  private lastAttemptsSweep = 0;

  async attempt(key: string): Promise<number> {
    return this.add(key, 1);
  }

  async refund(key: string): Promise<void> {
    this.add(key, -1);
  }

  async reset(key: string): Promise<void> {
    this.attempts.delete(key);
  }

  /** Adds to a key's count, starting a new window when it has none (or its window is over). */
  private add(key: string, n: number): number {
    const now = Date.now();
    const e = this.attempts.get(key);
    if (e && e.expiresAt > now) {
      e.count += n;
      return e.count;
    }
    this.sweepAttempts(now);
    this.attempts.set(key, { count: n, expiresAt: now + ATTEMPTS_WINDOW_S * 1000 });
    return n;
  }

  private sweepAttempts(now: number) {
    if (now - this.lastAttemptsSweep < 60_000 || this.attempts.size < 1000) return;
    this.lastAttemptsSweep = now;
    for (const [k, e] of this.attempts) if (e.expiresAt <= now) this.attempts.delete(k);
  }

  async take(key: string, capacity: number, rateMs: number, now: number) {
    this.sweep(now);
    const { tat, ...take } = takeToken(this.buckets.get(key), { capacity, rateMs }, now);
    if (take.ok) this.buckets.set(key, tat);
    return take;
  }

  async peek(key: string, capacity: number, rateMs: number, now: number) {
    return peekToken(this.buckets.get(key), { capacity, rateMs }, now);
  }

  async giveBack(key: string, rateMs: number, now: number) {
    const tat = giveBackToken(this.buckets.get(key), rateMs, now);
    if (tat === undefined) this.buckets.delete(key);
    else this.buckets.set(key, tat);
  }

  async refill(key: string) {
    this.buckets.delete(key);
  }

  /** Drops full buckets now and then, so memory follows the IPs seen lately. */
  private sweep(now: number) {
    if (now - this.lastSweep < 60_000 || this.buckets.size < 1000) return;
    this.lastSweep = now;
    for (const [k, tat] of this.buckets) if (tat <= now) this.buckets.delete(k);
  }

  async ready() {
    return true;
  }

  async close() {}
}

type BucketRedis = Redis & {
  tesseraTake(key: string, now: number, rate: number, cap: number): Promise<[number, number, string]>;
  tesseraGiveBack(key: string, now: number, rate: number): Promise<number>;
};

class RedisCounters extends AttemptCounters implements Counters {
  readonly kind = 'redis';

  constructor(
    private readonly client: BucketRedis,
    private readonly prefix: string,
  ) {
    super(
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${prefix}bf`,
        points: NO_LIMIT,
        duration: ATTEMPTS_WINDOW_S,
        rejectIfRedisNotReady: true,
      }),
    );
  }

  /** Redis down or slow: the login cannot be counted, so it is refused (503), never let through. */
  protected override async guard<T>(op: Promise<T>): Promise<T> {
    try {
      return await op;
    } catch (err) {
      if (err instanceof RateLimiterRes) throw err;
      throw new UnavailableError('redis', err instanceof Error ? err.message : String(err), { cause: err });
    }
  }

  async take(key: string, capacity: number, rateMs: number, now: number) {
    const [ok, waitMs, tat] = await this.guard(
      this.client.tesseraTake(this.bucket(key), now, rateMs, capacity),
    );
    return bucketState(ok === 1, Number(waitMs), Number(tat), { capacity, rateMs }, now);
  }

  async peek(key: string, capacity: number, rateMs: number, now: number) {
    const tat = await this.guard(this.client.get(this.bucket(key)));
    return peekToken(tat === null ? undefined : Number(tat), { capacity, rateMs }, now);
  }

  async giveBack(key: string, rateMs: number, now: number) {
    await this.guard(this.client.tesseraGiveBack(this.bucket(key), now, rateMs));
  }

  async refill(key: string) {
    await this.guard(this.client.del(this.bucket(key)));
  }

  ready(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.once('ready', onReady);
    });
  }

  private bucket(key: string) {
    return `${this.prefix}ip:${key}`;
  }

  async close() {
    this.client.disconnect();
  }
}

export interface RedisOptions {
  /** One command, ms: past it the login is refused with a 503. */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  log: Logger;
}

/** Reconnecting after a Redis outage waits at most this long between tries, so service is back within it. */
export const REDIS_RECONNECT_MAX_MS = DEFAULTS.protection.redisReconnectMaxMs;

/** Where a Redis URL points, without its password (for logs). */
export const redisAddress = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return 'the configured address';
  }
};

/** Counters in this process's memory (one process, or the primary of `--workers N`). */
export function memoryCounters(): Counters {
  return new MemoryCounters();
}

/**
 * Counters in Redis when `redisUrl` is set (keys under `prefix`), else in
 * this process's memory. While Redis is unreachable nothing waits: commands
 * fail at once (no offline queue, no retries) or after commandTimeoutMs, and
 * reconnecting goes on in the background with a short capped backoff.
 */
export function createCounters(redisUrl: string | undefined, prefix: string, opts: RedisOptions): Counters {
  if (!redisUrl) return new MemoryCounters();
  const warn = throttledWarn(opts.log);
  const address = redisAddress(redisUrl);
  const client = new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: opts.connectTimeoutMs,
    retryStrategy: (times) => Math.min(25 * 2 ** times, REDIS_RECONNECT_MAX_MS),
  });
  let down = false;
  client.on('error', (err: Error & { code?: string }) => {
    down = true;
    warn(
      'redis',
      { redis: address, reason: err.message, code: err.code },
      'Redis (attack-protection counters) cannot be reached: password logins are refused with 503 until it can',
    );
  });
  client.on('ready', () => {
    if (down) opts.log.info({ redis: address }, 'Redis (attack-protection counters) is reachable again');
    down = false;
  });
  client.defineCommand('tesseraTake', { numberOfKeys: 1, lua: REDIS_TAKE });
  client.defineCommand('tesseraGiveBack', { numberOfKeys: 1, lua: REDIS_GIVE_BACK });
  return new RedisCounters(client as BucketRedis, prefix);
}
