// The slice of autocannon's programmatic API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  export interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    /** Seconds; ignored when `amount` is set. */
    duration?: number;
    /** Stop after this many responses: every request sent is answered before the run ends. */
    amount?: number;
    timeout?: number;
    /** Milliseconds between samples; a run only ends on a sample tick (default 1000). */
    sampleInt?: number;
    /** Resolve with the raw result, to combine several runs with `aggregateResult`. */
    skipAggregateResult?: boolean;
  }
  interface Counts {
    /** Seconds (of the first run only, when aggregated). */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
  }
  export interface RawResult extends Counts {
    totalCompletedRequests: number;
  }
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
  }
  export interface Result extends Counts {
    latency: Histogram;
    requests: Histogram & { sent: number };
  }
  /** A running benchmark: an event emitter that is also awaitable for its result. */
  export interface Instance<T> extends PromiseLike<T> {
    on(
      event: 'response',
      listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void,
    ): this;
  }
  interface Autocannon {
    (opts: Options & { skipAggregateResult: true }): Instance<RawResult>;
    (opts: Options): Instance<Result>;
    aggregateResult(results: RawResult[], opts: Options): Result;
  }
  const autocannon: Autocannon;
  export default autocannon;
}
