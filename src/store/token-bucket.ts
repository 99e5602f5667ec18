/**
 * The one token bucket of Tessera, as GCRA (the generic cell rate
 * algorithm): a bucket of `capacity` tokens that regains one every `rateMs`
 * is a single stored time, its theoretical arrival time `tat` — the moment
 * it is full again (no stored time, or one in the past: full). Every bucket
 * uses it: the per-IP throttle, the sign-up and password-reset limits
 * (attack-protection counters: in memory here, in Redis as the Lua scripts
 * below, the same steps so that one command is atomic) and the MFA attempts
 * (a database row, see `fromTokens`).
 */

/** A bucket's shape: how many tokens it holds, and how long one takes to come back. */
export interface BucketShape {
  capacity: number;
  rateMs: number;
}

/** What a take (or a look) found. */
export interface BucketTake {
  ok: boolean;
  /** How long until a token is there again: 0 while tokens remain; > 0 with `ok` when this take emptied the bucket. */
  waitMs: number;
  /** The tokens left. */
  remaining: number;
  /** When the bucket is full again. */
  fullAt: number;
}

/** The state of a bucket whose stored theoretical arrival time is `tat`. */
export function bucketState(
  ok: boolean,
  waitMs: number,
  tat: number,
  shape: BucketShape,
  now: number,
): BucketTake {
  const { capacity, rateMs } = shape;
  const remaining = Math.max(0, Math.floor((capacity * rateMs - Math.max(0, tat - now)) / rateMs));
  return { ok, waitMs, remaining, fullAt: Math.max(tat, now) };
}

/**
 * Takes one token from the bucket stored as `tat` (undefined: full). `tat`
 * in the answer is what to store: the new time when a token was taken, the
 * old one when the bucket was empty.
 */
export function takeToken(
  tat: number | undefined,
  shape: BucketShape,
  now: number,
): BucketTake & { tat: number } {
  const { capacity, rateMs } = shape;
  const stored = Math.max(tat ?? now, now);
  const next = stored + rateMs;
  if (next - now > capacity * rateMs)
    return { ...bucketState(false, next - now - capacity * rateMs, stored, shape, now), tat: stored };
  const waitMs = Math.max(0, next - now - (capacity - 1) * rateMs);
  return { ...bucketState(true, waitMs, next, shape, now), tat: next };
}

/** The bucket stored as `tat`, taking nothing. */
export function peekToken(tat: number | undefined, shape: BucketShape, now: number): BucketTake {
  const t = tat ?? now;
  return bucketState(t - now < shape.capacity * shape.rateMs, 0, t, shape, now);
}

/** The stored time once a token taken is given back (never above capacity); undefined: the bucket is full. */
export function giveBackToken(tat: number | undefined, rateMs: number, now: number): number | undefined {
  if (tat === undefined || tat - rateMs <= now) return undefined;
  return tat - rateMs;
}

/** A bucket stored as a count of `tokens` at `at` (the MFA attempts' row), as its theoretical arrival time. */
export function fromTokens(tokens: number, at: number, shape: BucketShape): number {
  return at + (shape.capacity - tokens) * shape.rateMs;
}

/** A bucket's theoretical arrival time as a count of tokens at `at` (at most capacity). */
export function toTokens(tat: number, at: number, shape: BucketShape): number {
  return Math.min(shape.capacity, shape.capacity - (tat - at) / shape.rateMs);
}

/** takeToken in Redis. KEYS[1] the bucket; ARGV now, rate, capacity. Returns {ok 1|0, waitMs, the stored tat}. */
export const REDIS_TAKE = `local now, rate, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('get', KEYS[1]) or '0')
if tat < now then tat = now end
tat = tat + rate
if tat - now > cap * rate then return {0, tat - now - cap * rate, string.format('%.0f', tat - rate)} end
redis.call('set', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil(tat - now))
return {1, math.max(0, tat - now - (cap - 1) * rate), string.format('%.0f', tat)}`;

/** giveBackToken in Redis. KEYS[1] the bucket; ARGV now, rate. */
export const REDIS_GIVE_BACK = `local now, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('get', KEYS[1]) or '0') - rate
if tat <= now then redis.call('del', KEYS[1]) else redis.call('set', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil(tat - now)) end
return 1`;
