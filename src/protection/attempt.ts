import { performance } from 'node:perf_hooks';
import type { LoginAttempt, LoginContext, RateLimit } from '../login-types/context.js';
import { isWrongCredentials, type LoginFailure } from '../login-types/failure.js';
import type { Runtime } from '../runtime.js';
import { type CodedError, errors } from '../errors/index.js';
import type { Protection } from './index.js';
import { ipCountingKey } from './ip.js';
import { ipBlockId, normalizeIdentifier, userBlockId } from './block-ids.js';
import { handleLeak } from './leaks.js';
import type { BruteForcePolicy, IpThrottlePolicy, ProtectionPolicy } from './policy.js';
import { blockIdentifier, throttleIp } from './shields.js';
import { DEFAULTS } from '../config/defaults.js';

/** Identifiers longer than any stored email or username name nobody: not worth a counter. */
const MAX_IDENTIFIER = 512;
/** How long an attempt waits for attempts in flight to free the limit before it is refused. */
export const MAX_WAIT_MS = DEFAULTS.protection.maxWaitMs;
/**
 * The Retry-After of a brute-force refusal. A block lasts until it is lifted
 * (the email's link, an administrator, a password change), not for a time:
 * an hour is when asking again is reasonable.
 */
export const BLOCKED_RETRY_AFTER_S = DEFAULTS.protection.blockedRetryAfterS;

/**
 * One password login under attack protection. `reserve` runs before the
 * password is checked: it refuses a blocked identifier or a throttled IP, and
 * otherwise counts the attempt at once, so that concurrent guesses count
 * while still in flight. Then exactly one of `succeeded` (the password was
 * right: forget the failures), `failed` (keep the count, block at the limit)
 * or `failed` for another reason (give the reservation back) settles it.
 */
export class Attempt implements LoginAttempt {
  private settled = false;
  /** The IP whose bucket gave a token. */
  private ipToken?: { ip: string; id: string; policy: IpThrottlePolicy; emptiedUntil?: number };
  private user?: { id: string; identifier: string; ip: string; count: number; policy: BruteForcePolicy };
  /** Started before the password check, read after it succeeded. */
  private breached?: Promise<boolean>;
  /** The IP's bucket as last seen, told to the caller (X-RateLimit-*). */
  private rateLimit?: RateLimit;

  constructor(
    private readonly protection: Protection,
    private readonly ctx: LoginContext<Runtime>,
    private readonly policy: ProtectionPolicy,
  ) {}

  async reserve(): Promise<void> {
    const { ctx, policy } = this;
    const ip = ctx.request.ip;
    // Counted and blocked: the address, or its IPv6 network (allowlists match the address itself).
    const key = ipCountingKey(ip, policy.ipv6Prefix);
    const throttle = policy.ipThrottling;
    if (throttle && !throttle.allowlist.has(ip)) await this.reserveIp(key, throttle);
    const bruteForce = policy.bruteForce;
    const identifier = normalizeIdentifier(ctx.username);
    if (
      bruteForce &&
      !bruteForce.allowlist.has(ip) &&
      ctx.connection.options?.brute_force_protection !== false &&
      identifier.length <= MAX_IDENTIFIER
    ) {
      try {
        await this.reserveUser(key, identifier, bruteForce);
      } catch (err) {
        await this.giveBackToken();
        throw err;
      }
    }
    if (policy.breached && ctx.password) {
      this.breached = this.protection.corpus.has(ctx.password).catch((err) => {
        this.protection.deps.log.error({ err }, 'breached-password lookup failed');
        return false;
      });
    }
  }

  private refuse(
    kind: Extract<LoginFailure, 'blocked-identifier' | 'throttled-ip'>,
    err: CodedError,
  ): CodedError {
    this.ctx.failure = kind;
    return err;
  }

  private async reserveIp(ip: string, throttle: IpThrottlePolicy): Promise<void> {
    const { counters, mirror, deps } = this.protection;
    const id = ipBlockId(ip);
    // Retry-After: when the bucket (as last seen) has a token again.
    const refusal = () => {
      const now = deps.now();
      const rl = this.rateLimit;
      const backAt = rl ? rl.resetAt - (throttle.maxAttempts - 1) * throttle.rateMs : now + throttle.rateMs;
      return this.refuse('throttled-ip', errors.suspiciousIp(Math.max(1, Math.ceil((backAt - now) / 1000))));
    };
    if (throttle.block) {
      const state = await mirror.check(id);
      if (state === 'blocked') {
        const r = await counters.peek(ip, throttle.maxAttempts, throttle.rateMs, deps.now());
        this.report({ limit: throttle.maxAttempts, remaining: 0, resetAt: r.fullAt });
        throw refusal();
      }
      if (state === 'lifted') await Promise.all([mirror.dropLifted(id), counters.refill(ip)]);
    }
    let now = deps.now();
    const take = async () => {
      now = deps.now();
      const r = await counters.take(ip, throttle.maxAttempts, throttle.rateMs, now);
      this.report({ limit: throttle.maxAttempts, remaining: r.remaining, resetAt: r.fullAt });
      return r.ok ? r : undefined;
    };
    // Without the block shield an empty bucket only notifies (see settleFailure): the attempt goes on.
    // Tokens held by this node's logins in flight are load, not failures: while any is held, wait
    // for it to be settled (a success gives it back) rather than refuse a password not yet checked.
    // While logins wait for this bucket on this node, a newcomer waits behind them (turns.ts).
    const held = () => (this.protection.heldTokens.get(ip) ?? 0) > 0;
    const queued = throttle.block && this.protection.turns.busy(id);
    const r =
      (queued ? undefined : await take()) ??
      (throttle.block ? await this.waitTurn(id, refusal, () => counters.refill(ip), take, held) : undefined);
    if (r) {
      this.ipToken = { ip, id, policy: throttle, emptiedUntil: r.waitMs > 0 ? now + r.waitMs : undefined };
      this.protection.heldTokens.set(ip, (this.protection.heldTokens.get(ip) ?? 0) + 1);
    }
  }

  private async reserveUser(ip: string, identifier: string, bruteForce: BruteForcePolicy): Promise<void> {
    const { counters, mirror } = this.protection;
    const id = userBlockId(this.ctx.connection.id, identifier, bruteForce.perIp ? ip : undefined);
    const refusal = () =>
      this.refuse(
        'blocked-identifier',
        errors.tooManyAttempts({ notified: bruteForce.notifyUser, retryAfterS: BLOCKED_RETRY_AFTER_S }),
      );
    if (bruteForce.block) {
      const state = await mirror.check(id);
      if (state === 'blocked') throw refusal();
      if (state === 'lifted') await Promise.all([mirror.dropLifted(id), counters.reset(id)]);
    }
    const attempt = async () => {
      const count = await counters.attempt(id);
      if (!bruteForce.block || count <= bruteForce.maxAttempts) return count;
      await counters.refund(id); // over the limit: not an attempt of its own
      return undefined;
    };
    const queued = bruteForce.block && this.protection.turns.busy(id);
    const count =
      (queued ? undefined : await attempt()) ??
      (await this.waitTurn(id, refusal, () => counters.reset(id), attempt));
    this.user = { id, identifier, ip, count, policy: bruteForce };
  }

  /**
   * The limit is reached. Blocked: refuse. Lifted meanwhile: start again.
   * Otherwise attempts still in flight hold it (a burst of logins): wait for
   * them, for up to MAX_WAIT_MS, or for as long as `inFlight` says this
   * node's own attempts still hold it (they settle within their request's
   * deadline: admission control bounds how many). Waiters line up in the
   * id's queue (turns.ts): a login of this node settling its slot wakes the
   * first at once; the first also tries now and then (slots freed by other
   * nodes, or by time), and a slot it finds so lets the next try too.
   */
  private async waitTurn<T>(
    id: string,
    refusal: () => CodedError,
    reset: () => Promise<void>,
    retry: () => Promise<T | undefined>,
    inFlight: () => boolean = () => false,
  ): Promise<T> {
    const { mirror, turns } = this.protection;
    const deadline = performance.now() + MAX_WAIT_MS;
    const turn = turns.join(id);
    let served = false;
    try {
      let state = await mirror.lookup(id);
      for (let delay = 5; ; delay = Math.min(2 * delay, 100)) {
        if (state === 'blocked') throw refusal();
        if (state === 'lifted') await Promise.all([mirror.dropLifted(id), reset()]);
        else if (this.ctx.request.clientGone?.())
          throw errors.temporarilyUnavailable(1, 'the client went away while its login waited');
        else if (performance.now() >= deadline && !inFlight()) throw refusal();
        else await turn.wait(delay);
        const woken = turn.woken;
        // Woken, first in line, or lifted: try; the others keep their place.
        if (woken || state === 'lifted' || turn.isHead) {
          const got = await retry();
          if (got !== undefined) {
            served = true;
            turn.leave(true);
            // Not handed over: freed where this node was not told (or by time); more may be.
            if (!woken) turns.release(id);
            return got;
          }
          if (woken) turn.missed();
        }
        state = await mirror.check(id);
      }
    } finally {
      turn.leave(served);
    }
  }

  /** The token is no longer held by a login in flight (given back, or kept for a failure). */
  private releaseHeld(ip: string): void {
    const n = (this.protection.heldTokens.get(ip) ?? 1) - 1;
    if (n > 0) this.protection.heldTokens.set(ip, n);
    else this.protection.heldTokens.delete(ip);
  }

  private async giveBackToken(): Promise<void> {
    const t = this.ipToken;
    this.ipToken = undefined;
    if (!t) return;
    this.releaseHeld(t.ip);
    const now = this.protection.deps.now();
    await this.protection.counters.giveBack(t.ip, t.policy.rateMs, now);
    this.protection.turns.release(t.id);
    const rl = this.rateLimit;
    if (rl) {
      const remaining = Math.min(rl.limit, rl.remaining + 1);
      this.report({ ...rl, remaining, resetAt: Math.max(now, rl.resetAt - t.policy.rateMs) });
    }
  }

  /** The user's attempt is no longer held (its failures forgotten, or not an attempt): the next in line tries. */
  private async forgetUser(id: string, how: 'reset' | 'refund'): Promise<void> {
    await this.protection.counters[how](id);
    this.protection.turns.release(id);
  }

  private report(r: RateLimit): void {
    this.rateLimit = r;
    this.ctx.request.onRateLimit?.(r);
  }

  /** The password was right: the failures are forgotten. */
  async succeeded(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await Promise.all([this.user && this.forgetUser(this.user.id, 'reset'), this.giveBackToken()]);
  }

  /**
   * The password was right: if the breached-password corpus has it (looked up
   * since `reserve`), report it and, with the `block` shield, refuse the login.
   */
  async checkBreached(): Promise<void> {
    if (this.policy.breached && (await this.breached))
      await handleLeak(this.protection, this.ctx, this.policy.breached);
  }

  /** The login failed: a wrong password or unknown user counts; any other failure gives the reservation back. */
  async failed(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    try {
      await this.settleFailure();
    } catch (err) {
      // The login's own error is what the client must see.
      this.protection.deps.log.error({ err }, 'could not record a failed login for attack protection');
    }
  }

  private async settleFailure(): Promise<void> {
    if (!isWrongCredentials(this.ctx.failure)) {
      await Promise.all([this.user && this.forgetUser(this.user.id, 'refund'), this.giveBackToken()]);
      return;
    }
    const t = this.ipToken;
    if (t) this.releaseHeld(t.ip);
    if (t?.emptiedUntil) await throttleIp(this.protection, t.ip, t.policy, t.emptiedUntil);
    const u = this.user;
    if (u && u.count === u.policy.maxAttempts) await blockIdentifier(this.protection, this.ctx, u);
  }
}
