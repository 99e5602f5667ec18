import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { errors } from '../errors/index.js';
import { DEFAULTS } from '../config/defaults.js';

/** A hash's cost before any was measured, ms (about argon2id's with our parameters on one core). */
const DEFAULT_COST_MS = DEFAULTS.admission.initialHashCostMs;
/** How much of each error a new sample moves the smoothed mean (the EWMA's gain). */
const MEAN_GAIN = 1 / 5;
/** How much of each error a new sample moves the smoothed mean deviation (TCP's β, RFC 6298). */
const DEVIATION_GAIN = 1 / 4;

/**
 * A smoothed estimate of a duration, Jacobson/Karels style (TCP's RTO, RFC
 * 6298): a mean and a mean deviation, each an EWMA; `upper` is the mean plus
 * `k` deviations, the slow end of what a sample is likely to take.
 */
export class CostEstimate {
  mean?: number;
  deviation?: number;

  constructor(private readonly k: number) {}

  /** Takes one measured duration, ms. */
  sample(ms: number): void {
    if (this.mean === undefined || this.deviation === undefined) {
      this.mean = ms;
      this.deviation = ms / 2;
      return;
    }
    this.deviation += (Math.abs(ms - this.mean) - this.deviation) * DEVIATION_GAIN;
    this.mean += (ms - this.mean) * MEAN_GAIN;
  }

  /** The mean plus k deviations (undefined before any sample), ms. */
  get upper(): number | undefined {
    return this.mean === undefined ? undefined : this.mean + this.k * (this.deviation ?? 0);
  }
}

export interface AdmissionOptions {
  /** The longest a served login may be expected to take, from its arrival to its answer, before it is refused, ms. */
  budgetMs: number;
  /** How many hashes run at once (the pool's threads, at most the cores). */
  parallelism?: number;
  /** The hash cost before one was measured here (e.g. the boot-time calibration). */
  fallbackCostMs?: () => number | undefined;
  /** A fixed cost instead of the measured one (tests). */
  fixedCostMs?: number;
  /** How many mean deviations above the mean hash cost the queue is sized at (DEFAULTS.admission.hashCostDeviations). */
  deviations?: number;
  /** Monotonic ms, the clock of the arrival times given (performance.now()). */
  clock?: () => number;
}

/** One admitted login: released once its answer is ready (or it ended before). */
export interface Ticket {
  /**
   * Runs the login's hash in the queue (`Admission.run`), timed apart from
   * the rest of the login's work, which is measured; not at all once the
   * login's client has gone.
   */
  run<T>(hash: () => Promise<T>): Promise<T>;
  release(): void;
}

/** One admitted login, as its hash's turn in the queue sees it. */
export interface TicketState {
  admittedAt: number;
  /** Time spent in `run` (queued for the pool and hashing), ms; undefined while none was. */
  hashingMs?: number;
  /** True once the login's client closed its connection (the request's deadline). */
  clientGone?: () => boolean;
}

/**
 * Admission control in front of the password-hash pool. A login is admitted
 * only when its whole answer is expected within the budget: the time since
 * the request arrived, plus the hashes queued ahead of it and its own (each
 * at the slow end of the measured cost, `parallelism` at a time), plus the
 * measured work of a login besides its hash (reads, signing, writes).
 * Otherwise it is refused at once with 503 `temporarily_unavailable` and a
 * Retry-After, before attack protection counts anything. Admitted hashes run
 * `parallelism` at a time in arrival order; one whose client has gone by its
 * turn is dropped unhashed.
 */
export class Admission {
  readonly budgetMs: number;
  readonly parallelism: number;
  private readonly clock: () => number;
  /** Admitted logins whose hash is not done yet (running, queued, or not yet asked for). */
  private admitted = 0;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly hash: CostEstimate;
  /** An admitted login's work outside `run`, ms. */
  private readonly tail = new CostEstimate(0);

  constructor(private readonly opts: AdmissionOptions) {
    this.budgetMs = opts.budgetMs;
    this.parallelism = Math.max(1, opts.parallelism ?? defaultParallelism());
    this.clock = opts.clock ?? (() => performance.now());
    this.hash = new CostEstimate(opts.deviations ?? DEFAULTS.admission.hashCostDeviations);
  }

  /** The mean cost of one hash as measured lately, ms. */
  costMs(): number {
    return this.opts.fixedCostMs ?? this.hash.mean ?? this.fallbackMs();
  }

  /** The slow end of one hash's cost (mean + k × mean deviation), what the queue is sized at, ms. */
  conservativeCostMs(): number {
    return this.opts.fixedCostMs ?? this.hash.upper ?? this.fallbackMs();
  }

  /** The measured mean of an admitted login's work besides its hash (reads, signing, writes), ms. */
  tailMs(): number {
    return this.tail.mean ?? 0;
  }

  private fallbackMs(): number {
    return this.opts.fallbackCostMs?.() ?? DEFAULT_COST_MS;
  }

  /** How long a login admitted now should take to have its password checked: the queue ahead, then its own hash, ms. */
  expectedWaitMs(): number {
    const ahead = Math.max(0, this.admitted + 1 - this.parallelism);
    return (Math.ceil(ahead / this.parallelism) + 1) * this.conservativeCostMs();
  }

  get inFlight(): number {
    return this.admitted;
  }

  /**
   * Throws the 503 when a login that arrived at `arrivedAt` (the clock's ms;
   * unknown: now) would be refused now, admitting nothing: the token endpoint
   * asks first, so the excess costs no client authentication or database read.
   */
  precheck(arrivedAt?: number): void {
    if (this.budgetMs <= 0) return;
    const wait = this.expectedWaitMs();
    const spent = arrivedAt === undefined ? 0 : this.clock() - arrivedAt;
    if (spent + wait + this.tailMs() > this.budgetMs) {
      // When the queue ahead should have drained.
      const retryAfter = Math.max(1, Math.ceil(wait / 1000));
      throw errors.temporarilyUnavailable(
        retryAfter,
        `overloaded: about ${Math.round(wait)} ms of hashing queued`,
      );
    }
  }

  /**
   * Admits one login that arrived at `arrivedAt` (as in `precheck`), or
   * throws the 503 that refuses it. `clientGone` tells when its client has
   * gone: its hash is then not run.
   */
  admit(arrivedAt?: number, clientGone?: () => boolean): Ticket {
    this.precheck(arrivedAt);
    this.admitted++;
    const timing: TicketState = { admittedAt: this.clock(), clientGone };
    let released = false;
    return {
      run: (hash) => this.run(hash, timing),
      release: () => {
        if (released) return;
        released = true;
        this.admitted--;
        // Only a login that was hashed tells what the others' work besides the hash costs.
        if (timing.hashingMs !== undefined)
          this.tail.sample(Math.max(0, this.clock() - timing.admittedAt - timing.hashingMs));
      },
    };
  }

  /**
   * Runs one hash when a slot is free, in arrival order: an admitted login's
   * (`timing`, its ticket's) or, without one, a hash no login was admitted
   * for. Throws (hashing nothing) when the login's client went away while it
   * waited.
   */
  async run<T>(hash: () => Promise<T>, timing?: TicketState): Promise<T> {
    const entered = this.clock();
    if (this.running >= this.parallelism) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      // Nobody waits for the answer: a 503 that goes nowhere, and the attempt is given back, not counted.
      if (timing?.clientGone?.())
        throw errors.temporarilyUnavailable(1, 'the client went away before its password was checked');
      const t0 = this.clock();
      const result = await hash();
      const done = this.clock();
      this.hash.sample(done - t0);
      if (timing) timing.hashingMs = (timing.hashingMs ?? 0) + (done - entered);
      return result;
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** libuv's pool size (UV_THREADPOOL_SIZE, 4 by default), at most the cores: more would only queue in the CPU. */
export function defaultParallelism(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(pool, availableParallelism()));
}
