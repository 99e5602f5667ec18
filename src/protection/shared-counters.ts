import { UnavailableError } from '../errors/index.js';
import { type BucketTake, type Counters, memoryCounters } from './counters.js';

/**
 * Attack-protection counters shared by the workers of one `tessera serve
 * --workers N` without Redis: the primary process holds them in its memory
 * and every worker asks it over the cluster's IPC channel.
 *
 * Why the primary and not the database: the counters then behave exactly as
 * in one process (each operation runs whole on the primary's single thread,
 * so increments and bucket takes are atomic, and the brute-force limit is
 * exact across workers); a round trip costs tens of microseconds instead of a
 * write transaction per failed login (which would contend with logins on
 * SQLite's one writer); no schema is needed; and what the counts lose on a
 * restart is what one process loses today (blocks themselves are in the
 * database). The primary does nothing else, so it answers at once. Several
 * machines still need Redis (TESSERA_REDIS_URL), which the workers then use
 * directly.
 */

/** The operations a worker asks for: the methods of Counters that touch counts. */
type Op = 'attempt' | 'refund' | 'reset' | 'take' | 'peek' | 'giveBack' | 'refill';
const OPS: ReadonlySet<string> = new Set<Op>([
  'attempt',
  'refund',
  'reset',
  'take',
  'peek',
  'giveBack',
  'refill',
]);

interface Ask {
  tessera: 'counters';
  id: number;
  op: Op;
  args: (string | number)[];
}
interface Answer {
  tessera: 'counters';
  id: number;
  value?: unknown;
  error?: string;
}

/** The IPC channel of a cluster worker (process) or of the primary's handle on one (cluster.Worker). */
export interface Channel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A worker's answer to an operation older than this is given up on: the login gets a 503. */
export const PRIMARY_TIMEOUT_MS = 2_000;

const isAnswer = (m: unknown): m is Answer =>
  typeof m === 'object' &&
  m !== null &&
  (m as Answer).tessera === 'counters' &&
  typeof (m as Answer).id === 'number';
const isAsk = (m: unknown): m is Ask =>
  isAnswer(m) && OPS.has((m as Ask).op) && Array.isArray((m as Ask).args);

/**
 * The primary's side: answers the counter operations of every worker
 * attached with `serve`, from one set of memory counters.
 */
export class CounterHost {
  private readonly counters = memoryCounters();

  /** Answers the worker on `channel` until it exits. */
  serve(channel: Channel): void {
    channel.on('message', (m) => {
      if (!isAsk(m)) return;
      const run = (this.counters[m.op] as (...a: (string | number)[]) => Promise<unknown>).apply(
        this.counters,
        m.args,
      );
      run.then(
        (value) => channel.send({ tessera: 'counters', id: m.id, value: value ?? null }),
        (err: unknown) =>
          channel.send({
            tessera: 'counters',
            id: m.id,
            error: err instanceof Error ? err.message : String(err),
          }),
      );
    });
  }

  async close(): Promise<void> {
    await this.counters.close();
  }
}

/** A worker's side: every operation is a round trip to the primary's CounterHost. */
export class PrimaryCounters implements Counters {
  readonly kind = 'primary';
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly onMessage = (m: unknown) => {
    if (!isAnswer(m)) return;
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.waiting.delete(m.id);
    if (m.error !== undefined) w.reject(new Error(m.error));
    else w.resolve(m.value);
  };

  constructor(private readonly channel: Channel = process as unknown as Channel) {
    channel.on('message', this.onMessage);
  }

  private ask<T>(op: Op, ...args: (string | number)[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(
          new UnavailableError('primary', 'the cluster primary did not answer (attack-protection counters)'),
        );
      }, PRIMARY_TIMEOUT_MS);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      try {
        this.channel.send({ tessera: 'counters', id, op, args } satisfies Ask);
      } catch (err) {
        this.waiting.delete(id);
        clearTimeout(timer);
        reject(
          new UnavailableError('primary', err instanceof Error ? err.message : String(err), { cause: err }),
        );
      }
    });
  }

  attempt(key: string): Promise<number> {
    return this.ask('attempt', key);
  }
  async refund(key: string): Promise<void> {
    await this.ask('refund', key);
  }
  async reset(key: string): Promise<void> {
    await this.ask('reset', key);
  }
  take(key: string, capacity: number, rateMs: number, now: number): Promise<BucketTake> {
    return this.ask('take', key, capacity, rateMs, now);
  }
  peek(key: string, capacity: number, rateMs: number, now: number): Promise<BucketTake> {
    return this.ask('peek', key, capacity, rateMs, now);
  }
  async giveBack(key: string, rateMs: number, now: number): Promise<void> {
    await this.ask('giveBack', key, rateMs, now);
  }
  async refill(key: string): Promise<void> {
    await this.ask('refill', key);
  }
  async ready(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {
    this.channel.off('message', this.onMessage);
  }
}
