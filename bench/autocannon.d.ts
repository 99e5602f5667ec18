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
    /** The sequence each connection sends, over and over; default one request from the options above. */
    requests?: Request[];
    /** Called with each connection's client when it is created (in order), to give it its own requests. */
    setupClient?: (client: Client) => void;
  }
  /** What `setupRequest` receives and returns: the request to send. */
  export interface RequestData {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: string | Buffer;
  }
  export interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Builds the request just before it is sent (after the previous answer's `onResponse`). */
    setupRequest?: (req: RequestData, context: Record<string, unknown>) => RequestData;
    /**
     * Sees each answer. `context` is reset after the last request of the
     * sequence, so state that must outlive it belongs to the connection
     * (a closure made in `setupClient`).
     */
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  }
  /** One connection. */
  export interface Client {
    setBody(body: string): void;
    setRequests(requests: Request[]): void;
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
