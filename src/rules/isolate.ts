import { IsolateLease } from './lease.js';
import { LoopRuns } from './loop-runs.js';
import { IsolateSlot } from './slot.js';
import { Strikes } from './strikes.js';
import type { RulesLimits } from './types.js';
import { DEFAULTS } from '../config/defaults.js';

export type { IsolateLease } from './lease.js';
export type { FreshContext } from './slot.js';

/** How often a lease past its first fastCpuMs is checked, in ms. */
const WATCH_EVERY_MS = DEFAULTS.rules.watchEveryMs;

interface Waiter {
  user: string | undefined;
  resolve(lease: IsolateLease | undefined): void;
  timer: NodeJS.Timeout;
}

/**
 * A runtime's isolates for tenant scripts: a pool that grows with the
 * logins running scripts and shrinks when they are done.
 *
 * Why a lease per login rather than shared isolates: an isolate runs one
 * piece of JavaScript at a time, and running out of memory disposes it
 * with everything in it. Shared, one looping script held up every login
 * queued on its isolate, and one memory bomb failed them all. Leased, a
 * bad script can only spoil its own login; other logins take another
 * isolate (idle ones are kept warm, with contexts made ahead and scripts
 * compiled, so the fast path pays no creation). A lent isolate that is not
 * making contexts runs the login's scripts on the event loop, with no
 * hand-off to its thread (loop-runs.ts says when they leave it).
 *
 * Not a new isolate per login: creating one and its first context costs
 * about 25 ms of CPU (V8 and ICU start-up), far over the fast path's
 * budget; a lent isolate goes back to the pool unless a script was stopped
 * in it (time limit, memory, the caps below), and then it is disposed.
 *
 * Leases alone would still let a few bad logins take the cores (a loop
 * burns its whole time limit) or all isolates (a script waiting on timers
 * until its time limit). So two hard caps per runtime (that is, per
 * tenant), checked from the host while scripts run:
 * - busy: past `fastCpuMs` of CPU in the isolate (waits on the host, like
 *   `fetch` or timers, do not count), a login takes one of `busyLogins`;
 *   with none free its scripts are stopped. CPU time, not wall time, so
 *   that an innocent login slowed down by a loaded machine is not taken
 *   for a busy one (isolated-vm times a call still running by the clock,
 *   so a thread waiting for a core mid-call does count: hence a margin of
 *   100 ms where legitimate scripts use a few);
 * - slow: past `slowMs` of wall time, a login takes one of `slowLogins`
 *   (a script waiting on a slow API is slow, not busy); none free: stopped.
 * A stopped login fails closed (access_denied) and its audit event says
 * which cap stopped it. Legitimate scripts take a few ms of CPU; the caps
 * only bind when many logins run long at once. A user whose scripts were
 * stopped (or timed out, or ran out of memory) gets neither place for
 * `strikeMs` and only `struckCpuMs` of CPU (see Strikes): the caps alone
 * would let one user who sends the same bad login again and again keep a
 * busy place, that is a core, for good.
 */
export class Sandbox {
  private idle: IsolateSlot[] = [];
  private leased = new Set<IsolateLease>();
  private waiting: Waiter[] = [];
  /** New isolates being primed for a login (slot.prime). */
  private starting = 0;
  /** New isolates being made ahead for the idle pool (prewarm). */
  private warming = 0;
  private busyCount = 0;
  private slowCount = 0;
  private trimTimer: NodeJS.Timeout | undefined;
  private strikes = new Strikes();
  private readonly loopRuns = new LoopRuns();
  /** Bumped by dispose(): an isolate made ahead before it is not kept. */
  private generation = 0;

  constructor(public limits: RulesLimits) {}

  /**
   * Makes isolates ahead, up to `warmIsolates` idle ones, off any login's
   * path (a new isolate costs about 25 ms of CPU): the first logins, and
   * logins after a quiet spell, then find one waiting.
   */
  prewarm(): void {
    const room =
      Math.max(1, this.limits.isolates) - this.leased.size - this.starting - this.warming - this.idle.length;
    const want = Math.min(room, this.limits.warmIsolates - this.idle.length - this.warming);
    for (let i = 0; i < want; i++) {
      const slot = new IsolateSlot(this.limits.memoryLimitMb);
      const generation = this.generation;
      this.warming++;
      slot.prime().then(() => {
        this.warming--;
        if (generation !== this.generation || slot.disposed) return slot.dispose();
        const next = this.waiting.shift();
        if (next) {
          clearTimeout(next.timer);
          next.resolve(this.start(slot, next.user));
          return;
        }
        slot.idleSince = performance.now();
        this.idle.unshift(slot);
        this.scheduleTrim();
      });
    }
  }

  /**
   * An isolate for one login of `user`: idle, new, or the next one released
   * (undefined past `deadline`).
   */
  lease(deadline: number, user?: string): IsolateLease | Promise<IsolateLease | undefined> {
    this.idle = this.idle.filter((s) => !s.disposed);
    // The most recently used isolate that is not making contexts ahead:
    // its scripts can run on the event loop (loop-runs.ts) at once.
    const quiet = this.idle.findLastIndex((s) => s.quiet);
    // Else one still making contexts: not waited for (the login waits for
    // its first one only) and its scripts run on its own thread meanwhile.
    const slot = quiet === -1 ? this.idle.pop() : this.idle.splice(quiet, 1)[0];
    if (slot) return this.start(slot, user);
    if (this.leased.size + this.starting + this.warming < Math.max(1, this.limits.isolates)) {
      const fresh = new IsolateSlot(this.limits.memoryLimitMb);
      return this.startAfter(fresh, fresh.prime(), user);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        user,
        resolve,
        timer: setTimeout(
          () => {
            this.waiting = this.waiting.filter((w) => w !== waiter);
            resolve(undefined);
          },
          Math.max(0, deadline - performance.now()),
        ),
      };
      this.waiting.push(waiter);
    });
  }

  /** Gives the isolate back: to a waiting login, to the idle pool, or disposed when spoiled. */
  release(lease: IsolateLease): void {
    if (!this.leased.delete(lease)) return;
    clearTimeout(lease.timer);
    if (lease.busy) this.busyCount--;
    if (lease.slow) this.slowCount--;
    const { slot } = lease;
    // The login's context goes with it: no other login's script runs in it.
    lease.dropContext();
    if (lease.spoiled || lease.stopped) this.strikes.add(lease.user, this.limits.strikeMs);
    if (lease.spoiled || lease.stopped || slot.disposed || slot.memoryLimitMb !== this.limits.memoryLimitMb) {
      slot.dispose();
      // The login that waits gets a new isolate instead.
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        const fresh = new IsolateSlot(this.limits.memoryLimitMb);
        this.startAfter(fresh, fresh.prime(), next.user).then(next.resolve);
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      slot.topUp();
      next.resolve(this.start(slot, next.user));
      return;
    }
    slot.idleSince = performance.now();
    this.idle.push(slot);
    // Refill once the login is done with the isolate, so making contexts does not delay it.
    setImmediate(() => this.idle.includes(slot) && slot.topUp());
    this.scheduleTrim();
  }

  /** How many isolates are idle and lent (for the log and tests). */
  stats(): { idle: number; leased: number } {
    return { idle: this.idle.filter((s) => !s.disposed).length, leased: this.leased.size };
  }

  /** Forgets every strike (a changed strike policy starts afresh). */
  forgetStrikes(): void {
    this.strikes = new Strikes();
  }

  dispose(): void {
    this.generation++;
    for (const slot of this.idle) slot.dispose();
    this.idle = [];
    clearTimeout(this.trimTimer);
    this.trimTimer = undefined;
  }

  /** Lends `slot` once `ready` settles (counted meanwhile, so the pool stays within `isolates`). */
  private async startAfter(
    slot: IsolateSlot,
    ready: Promise<void>,
    user: string | undefined,
  ): Promise<IsolateLease> {
    this.starting++;
    try {
      await ready;
    } finally {
      this.starting--;
    }
    return this.start(slot, user);
  }

  private start(slot: IsolateSlot, user: string | undefined): IsolateLease {
    const lease = new IsolateLease(slot, user, this.loopRuns);
    this.leased.add(lease);
    // A lease cannot use its CPU allowance in less wall time: nothing to
    // check before then, and a fast login never sees its timer fire.
    lease.timer = setTimeout(() => this.watch(lease), this.cpuAllowance(lease));
    lease.timer.unref();
    return lease;
  }

  /** CPU time the lease may use before it needs a busy place, in ms. */
  private cpuAllowance(lease: IsolateLease): number {
    return this.strikes.has(lease.user) ? this.limits.struckCpuMs : this.limits.fastCpuMs;
  }

  /** The caps (see the class): takes a busy or slow place for the lease, or stops it. */
  private watch(lease: IsolateLease): void {
    if (!this.leased.has(lease) || lease.stopped) return;
    const { busyLogins, slowMs, slowLogins, strikeMs } = this.limits;
    const struck = this.strikes.has(lease.user);
    const allowance = this.cpuAllowance(lease);
    const struckWhy = `; the same user's scripts were stopped or failed within the last ${strikeMs} ms, so it gets no more`;
    if (!lease.busy && lease.cpuMs() > allowance) {
      if (struck || this.busyCount >= busyLogins) {
        const why = struck
          ? struckWhy
          : ` while ${busyLogins} other logins' scripts did (the sandbox's limit of busy logins)`;
        this.stop(lease, `used more than ${allowance} ms of CPU${why}; stopped`);
        return;
      }
      lease.busy = true;
      this.busyCount++;
    }
    if (!lease.slow && performance.now() - lease.started > slowMs) {
      if (struck || this.slowCount >= slowLogins) {
        const why = struck
          ? struckWhy
          : ` while ${slowLogins} other logins' scripts did (the sandbox's limit of slow logins)`;
        this.stop(lease, `ran longer than ${slowMs} ms${why}; stopped`);
        return;
      }
      lease.slow = true;
      this.slowCount++;
    }
    if (!(lease.busy && lease.slow)) {
      lease.timer = setTimeout(() => this.watch(lease), WATCH_EVERY_MS);
      lease.timer.unref();
    }
  }

  private stop(lease: IsolateLease, reason: string): void {
    lease.stopped = reason;
    lease.abort.abort();
    lease.slot.dispose();
  }

  /** Disposes isolates idle for idleIsolateMs, keeping warmIsolates of them. */
  private scheduleTrim(): void {
    if (this.trimTimer || this.idle.length <= this.limits.warmIsolates) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      const cutoff = performance.now() - this.limits.idleIsolateMs;
      // Most recently used last: the ones kept warm are those at the end.
      const spare = this.idle.length - this.limits.warmIsolates;
      const old = this.idle.slice(0, Math.max(0, spare)).filter((s) => s.idleSince <= cutoff);
      for (const slot of old) slot.dispose();
      this.idle = this.idle.filter((s) => !old.includes(s));
      this.scheduleTrim();
    }, this.limits.idleIsolateMs);
    this.trimTimer.unref();
  }
}
