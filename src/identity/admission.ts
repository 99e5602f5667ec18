import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { errors } from '../errors/index.js';
import { clientGone } from '../store/deadline.js';
import { DEFAULTS } from '../config/defaults.js';

/** A hash's cost before any was measured, ms (about argon2id's with our parameters on one core). */
const DEFAULT_COST_MS = DEFAULTS.admission.initialHashCostMs;

export interface AdmissionOptions {
  /** The longest a login may be expected to wait for the hash pool before it is refused, ms. */
  budgetMs: number;
  /** How many hashes run at once (the pool's threads, at most the cores). */
  parallelism?: number;
  /** The hash cost before one was measured here (e.g. the boot-time calibration). */
  fallbackCostMs?: () => number | undefined;
  /** A fixed cost instead of the measured one (tests). */
  fixedCostMs?: number;
  clock?: () => number;
}

/** One admitted login: released once its hash is done (or it ended before). */
export interface Ticket {
  release(): void;
}

/**
 * Admission control in front of the password-hash pool. A login is admitted
 * only when the hashes already waiting (each at the measured cost, `parallelism`
 * at a time) would let it start within the budget; otherwise it is refused at
 * once with 503 `temporarily_unavailable` and a Retry-After, before attack
 * protection counts anything. Admitted hashes run `parallelism` at a time in
 * arrival order; one whose client has gone by its turn is dropped unhashed.
 */
export class Admission {
  readonly budgetMs: number;
  readonly parallelism: number;
  private readonly clock: () => number;
  /** Admitted logins whose hash is not done yet (running, queued, or not yet asked for). */
  private admitted = 0;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private measured?: number;

  constructor(private readonly opts: AdmissionOptions) {
    this.budgetMs = opts.budgetMs;
    this.parallelism = Math.max(1, opts.parallelism ?? defaultParallelism());
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** The cost of one hash as measured lately, ms. */
  costMs(): number {
    return this.opts.fixedCostMs ?? this.measured ?? this.opts.fallbackCostMs?.() ?? DEFAULT_COST_MS;
  }

  /** How long a login admitted now should take to have its password checked: the queue ahead, then its own hash, ms. */
  expectedWaitMs(): number {
    const ahead = Math.max(0, this.admitted + 1 - this.parallelism);
    return (Math.ceil(ahead / this.parallelism) + 1) * this.costMs();
  }

  get inFlight(): number {
    return this.admitted;
  }

  /**
   * Throws the 503 when a login would be refused now, admitting nothing: the
   * token endpoint asks first, so the excess costs no client authentication
   * or database read.
   */
  precheck(): void {
    if (this.budgetMs <= 0) return;
    const wait = this.expectedWaitMs();
    if (wait > this.budgetMs) {
      // When the queue ahead should have drained.
      const retryAfter = Math.max(1, Math.ceil(wait / 1000));
      throw errors.temporarilyUnavailable(
        retryAfter,
        `overloaded: about ${Math.round(wait)} ms of hashing queued`,
      );
    }
  }

  /** Admits one login, or throws the 503 that refuses it. */
  admit(): Ticket {
    this.precheck();
    this.admitted++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.admitted--;
      },
    };
  }

  /**
   * Runs one hash when a slot is free, in arrival order. Throws (hashing
   * nothing) when the request's client went away while it waited.
   */
  async run<T>(hash: () => Promise<T>): Promise<T> {
    if (this.running >= this.parallelism) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      // Nobody waits for the answer: a 503 that goes nowhere, and the attempt is given back, not counted.
      if (clientGone())
        throw errors.temporarilyUnavailable(1, 'the client went away before its password was checked');
      const t0 = this.clock();
      const result = await hash();
      this.sample(this.clock() - t0);
      return result;
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }

  private sample(ms: number): void {
    this.measured = this.measured === undefined ? ms : 0.8 * this.measured + 0.2 * ms;
  }
}

/** libuv's pool size (UV_THREADPOOL_SIZE, 4 by default), at most the cores: more would only queue in the CPU. */
export function defaultParallelism(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  return Math.max(1, Math.min(pool, availableParallelism()));
}
