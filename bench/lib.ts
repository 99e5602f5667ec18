import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import autocannon, { type Options, type RawResult } from 'autocannon';
import pino from 'pino';
import { loadConfig } from '../src/config/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { buildServer } from '../src/server.js';
import { seedTenant } from '../test/helpers/app.js';

/**
 * What the benchmarks share: an in-process Tessera on a temporary SQLite
 * file, the timed slices (autocannon runs and plain promise chains), the
 * alternating rounds and the printed report. Each benchmark compares an
 * endpoint with a baseline operation at the heart of it (argon2id for the
 * password grant, an RS256 signature for the refresh grant).
 */

/** Operations in flight: autocannon connections, or promise chains for a baseline. */
export const CONCURRENCY = 16;
/** More failed requests than this share makes the figures meaningless. */
export const MAX_ERROR_SHARE = 0.01;

export interface Timing {
  /** Seconds of each side (baseline and endpoint), measured. */
  duration: number;
  warmupSeconds: number;
  rounds: number;
  sliceSeconds: number;
}

/**
 * The timing from `--duration` (or BENCH_DURATION, default 10 s), cut into
 * rounds of about 2 s; exits 2 on a bad value.
 */
export function benchTiming(arg: string | undefined): Timing {
  const duration = Number(arg ?? process.env.BENCH_DURATION ?? 10);
  if (!Number.isFinite(duration) || duration <= 0) {
    console.error(
      `--duration / BENCH_DURATION must be a positive number of seconds, got "${arg ?? process.env.BENCH_DURATION}"`,
    );
    process.exit(2);
  }
  const rounds = Math.max(2, Math.round(duration / 2));
  return { duration, warmupSeconds: Math.min(2, duration / 4), rounds, sliceSeconds: duration / rounds };
}

export interface Tessera {
  rt: Runtime;
  /** POST here for a token. */
  url: string;
  /** The temporary directory holding the database. */
  dir: string;
  /** The HTTP server (to time requests from inside it). */
  server: import('node:http').Server;
}

/**
 * Runs `body` against a Tessera built in-process on a temporary SQLite file
 * (WAL), seeded with the test tenant (then `seed`, if given), listening on
 * 127.0.0.1 on a free port; closes it and deletes the files afterwards.
 */
export async function withTessera(
  seed: ((rt: Runtime) => Promise<void>) | undefined,
  body: (t: Tessera) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  try {
    const config = loadConfig(
      {
        TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`, // a file, in WAL mode (openStore)
        TESSERA_ISSUER: 'http://127.0.0.1/',
        TESSERA_SECRET: randomBytes(32).toString('base64url'),
        TESSERA_LOG_LEVEL: 'silent',
      },
      { host: '127.0.0.1', port: 0 },
    );
    const rt = await createRuntime(config, { log: pino({ level: 'silent' }) });
    try {
      await seedTenant(rt);
      await seed?.(rt);
      const app = await buildServer(rt);
      try {
        await app.listen({ port: 0, host: '127.0.0.1' });
        const { port } = app.server.address() as AddressInfo;
        await body({ rt, url: `http://127.0.0.1:${port}/oauth/token`, dir, server: app.server });
      } finally {
        await app.close();
      }
    } finally {
      await rt.store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a benchmark's main; a thrown error prints and exits 1. */
export function run(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

/** A form-encoded POST; answers the status and the parsed JSON body (throws when it is not JSON). */
export async function postForm(url: string, form: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`${url} answered ${res.status} with non-JSON: ${text}`);
  }
}

export interface Slice {
  /** Completed operations (successful requests, or baseline operations). */
  count: number;
  seconds: number;
  rate: number;
  /** CPU time of the whole process (all threads) during the slice, ms. */
  cpuMs: number;
}

/** A baseline run: latencies of every operation, ms. */
export interface OpsSlice extends Slice {
  latencies: number[];
}

/** An autocannon run against the endpoint. */
export interface GrantSlice extends Slice {
  raw: RawResult;
  loop: EventLoopUtilization;
  /** Latencies of the 2xx answers, ms, at full resolution (autocannon's histogram keeps whole ms). */
  latencies: number[];
}

const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
};

/**
 * `amount` requests, `options.connections` in flight. A fixed amount rather
 * than a duration: autocannon then waits for every answer, so no abandoned
 * request keeps the thread pool busy during the next baseline run. The time
 * is taken to the last answer: autocannon itself only notices the end on its
 * next sample tick, which would round every round up to whole ticks.
 */
export async function grantSlice(options: Options, amount: number): Promise<GrantSlice> {
  const latencies: number[] = [];
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let last = t0;
  const raw = await autocannon({ ...options, amount, sampleInt: 10, skipAggregateResult: true }).on(
    'response',
    (_client, statusCode, _bytes, responseTime) => {
      last = performance.now();
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    },
  );
  const seconds = (last - t0) / 1000;
  return {
    raw,
    latencies,
    cpuMs: cpuMsSince(cpu),
    count: raw['2xx'],
    seconds,
    rate: raw['2xx'] / seconds,
    loop: performance.eventLoopUtilization(elu),
  };
}

/**
 * `op` in CONCURRENCY (or `concurrency`) promise chains for `seconds`; every
 * operation started finishes before it returns. `op` throws when its result
 * is wrong.
 */
export async function opsSlice(
  seconds: number,
  op: () => Promise<unknown>,
  concurrency = CONCURRENCY,
): Promise<OpsSlice> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await op();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  return {
    latencies,
    count: latencies.length,
    seconds: elapsed,
    rate: latencies.length / elapsed,
    cpuMs: cpuMsSince(cpu),
  };
}

export interface Rounds<B extends Slice, G extends Slice> {
  baseline: B[];
  grants: G[];
  /** Each grant round's rate over the mean of the baseline runs on either side. */
  ratios: number[];
}

/**
 * Warms both paths up, then alternates: baseline, grant, baseline, …, grant,
 * baseline. The machine is noisy (shared cores, neighbours' builds and
 * tests), so each grant round is compared with the mean of the two baseline
 * runs around it, and the verdict takes the median of those per-round
 * ratios: a burst of outside load skews one round, not the result. Grant
 * rounds run a fixed number of requests sized from the previous round's rate.
 */
export async function alternateRounds<B extends Slice, G extends Slice>(p: {
  timing: Timing;
  baseline: (seconds: number) => Promise<B>;
  grant: (amount: number) => Promise<G>;
  /**
   * Also warm the grant up for about `warmupSeconds` (sized from a short
   * first run), not just CONCURRENCY * 4 requests: for a fast endpoint,
   * whose first thousand requests still run partly unoptimised code.
   */
  timedGrantWarmup?: boolean;
}): Promise<Rounds<B, G>> {
  const { rounds, sliceSeconds, warmupSeconds } = p.timing;
  // Warm up both paths (JIT, SQLite page cache, connections); the warm-up
  // grant rate sizes the first measured grant round.
  await p.baseline(warmupSeconds);
  let estimate = (await p.grant(CONCURRENCY * 4)).rate;
  if (p.timedGrantWarmup) {
    estimate = (await p.grant(Math.max(CONCURRENCY * 2, Math.round(estimate * warmupSeconds)))).rate;
  }

  const baseline = [await p.baseline(sliceSeconds)];
  const grants: G[] = [];
  for (let i = 0; i < rounds; i++) {
    const amount = Math.max(CONCURRENCY * 2, Math.round(estimate * sliceSeconds));
    const g = await p.grant(amount);
    grants.push(g);
    estimate = g.rate;
    baseline.push(await p.baseline(sliceSeconds));
  }
  const ratios = grants.map((g, i) => g.rate / ((baseline[i]!.rate + baseline[i + 1]!.rate) / 2));
  return { baseline, grants, ratios };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const cpuPerOp = (slices: Slice[]) =>
  slices.reduce((t, s) => t + s.cpuMs, 0) / slices.reduce((n, s) => n + s.count, 0);

const pooledRate = (slices: Slice[]) =>
  slices.reduce((n, s) => n + s.count, 0) / slices.reduce((t, s) => t + s.seconds, 0);

/** How the report names one side of the comparison. */
export interface Side {
  /** Table row and CPU line, e.g. `argon2id verify`, `password grant`. */
  label: string;
  /** Throughput unit, e.g. `verifies/s`, `req/s`. */
  unit: string;
  /** The raw series, e.g. `argon2 runs`, `grant rounds`. */
  series: string;
  /** The rate's name in the ratio line, e.g. `argon2_verifies_per_s`. */
  rateName: string;
}

export interface ReportSpec {
  timing: Timing;
  rounds: Rounds<OpsSlice, GrantSlice>;
  baseline: Side;
  grant: Side & {
    /** The options of the grant runs, for autocannon's aggregate. */
    options: Options;
    /** `grant responses`, `… grant requests did not answer 200`. */
    noun: string;
    /** One operation in the CPU line, e.g. `login`. */
    op: string;
    /** What the figures should measure, e.g. `logins`. */
    plural: string;
    /**
     * Latency percentiles from autocannon's histogram (whole ms) or from the
     * measured 2xx latencies (full resolution, for fast endpoints).
     */
    latency: 'histogram' | 'measured';
  };
  /** The ratio's target; without one the ratio is printed with no verdict. */
  target?: number;
}

/**
 * Prints the table, the raw series, the responses, the event loop and CPU
 * figures and the verdict; sets exit code 1 when too many requests failed
 * (the figures would measure errors). The verdict itself never fails the run.
 */
export function report(s: ReportSpec): void {
  const { baseline, grants, ratios } = s.rounds;
  const { rounds, sliceSeconds } = s.timing;
  const ratio = median(ratios);
  const grantRps = pooledRate(grants);
  const baseRate = pooledRate(baseline);
  const grantAll = autocannon.aggregateResult(
    grants.map((g) => g.raw),
    s.grant.options,
  );
  const baseLatencies = baseline.flatMap((a) => a.latencies).sort((a, b) => a - b);
  const grantLatency =
    s.grant.latency === 'histogram'
      ? grantAll.latency
      : (() => {
          const sorted = grants.flatMap((g) => g.latencies).sort((a, b) => a - b);
          return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
        })();
  const loopActive = grants.reduce((t, g) => t + g.loop.active, 0);
  const loopAll = grants.reduce((t, g) => t + g.loop.active + g.loop.idle, 0);

  const baseLabel = `${s.baseline.label} (${baseline.length} x ${sliceSeconds.toFixed(1)} s)`;
  const grantLabel = `${s.grant.label} (${grants.length} x ~${sliceSeconds.toFixed(1)} s)`;
  const width = Math.max(30, baseLabel.length, grantLabel.length);
  const row = (label: string, rate: string, p50: number, p99: number, ops: number) => {
    const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
    return `  ${label.padEnd(width)} ${rate.padStart(18)} ${ms(p50)} ${ms(p99)} ${String(ops).padStart(7)}`;
  };
  console.log(
    `\n  ${'run'.padEnd(width)} ${'throughput'.padStart(18)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'ops'.padStart(7)}`,
  );
  console.log(
    row(
      baseLabel,
      `${baseRate.toFixed(1)} ${s.baseline.unit}`,
      percentile(baseLatencies, 50),
      percentile(baseLatencies, 99),
      baseLatencies.length,
    ),
  );
  console.log(
    row(
      grantLabel,
      `${grantRps.toFixed(1)} ${s.grant.unit}`,
      grantLatency.p50,
      grantLatency.p99,
      grantAll['2xx'],
    ),
  );

  const series = [
    [`${s.baseline.series} (${s.baseline.unit}):`, baseline.map((a) => a.rate.toFixed(1)).join(', ')],
    [`${s.grant.series} (${s.grant.unit}):`, grants.map((g) => g.rate.toFixed(1)).join(', ')],
    ['per-round ratios:', ratios.map((r) => r.toFixed(3)).join(', ')],
  ];
  const seriesWidth = Math.max(26, ...series.map(([label]) => label!.length + 1));
  console.log('');
  for (const [label, values] of series) console.log(`  ${label!.padEnd(seriesWidth)}${values}`);
  const rates = baseline.map((a) => a.rate);
  const spread = (Math.max(...rates) - Math.min(...rates)) / baseRate;
  if (spread > 0.25) {
    console.log(
      `  note: the ${s.baseline.series} varied by ${(spread * 100).toFixed(0)}%: the machine was busy. ` +
        'The median resists short bursts; rerun on a quiet machine for firm figures.',
    );
  }

  const statuses = Object.entries(grantAll.statusCodeStats)
    .map(([code, st]) => `${st.count} x ${code}`)
    .join(', ');
  console.log(
    `\n  ${s.grant.noun} responses: ${statuses || 'none'}; ${grantAll.errors} errors, ${grantAll.timeouts} timeouts`,
  );
  // Server and load generator share this thread: near 100% would mean the event loop is the limit.
  console.log(
    `  event loop busy during the ${s.grant.series}: ${((100 * loopActive) / loopAll).toFixed(0)}%`,
  );
  // CPU time per operation hardly depends on what else runs on the machine:
  // its ratio is a second, steadier view of the same question on a
  // saturated box (the endpoint's figure includes autocannon's own work).
  const baseCpu = cpuPerOp(baseline);
  const grantCpu = cpuPerOp(grants);
  console.log(
    `  CPU per operation: ${s.baseline.label} ${baseCpu.toFixed(1)} ms, ${s.grant.op} ${grantCpu.toFixed(1)} ms ` +
      `(ratio ${(baseCpu / grantCpu).toFixed(3)})`,
  );
  const verdict =
    s.target === undefined ? '' : `, target >= ${s.target}: ${ratio >= s.target ? 'PASS' : 'BELOW TARGET'}`;
  console.log(
    `  ratio ${s.grant.rateName} / ${s.baseline.rateName} = ${ratio.toFixed(3)} ` +
      `(median of ${rounds} rounds; pooled ${(grantRps / baseRate).toFixed(3)})${verdict}`,
  );

  const sent = grantAll['2xx'] + grantAll.non2xx + grantAll.errors + grantAll.timeouts;
  const failed = sent - grantAll['2xx'];
  if (failed > Math.max(1, sent * MAX_ERROR_SHARE)) {
    console.error(
      `\n  FAILED: ${failed} of ${sent} ${s.grant.noun} requests did not answer 200 (${statuses}); ` +
        `the figures above measure errors, not ${s.grant.plural}.`,
    );
    process.exitCode = 1;
  }
}
