import { type ChildProcess, execFile, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import autocannon, { type Options, type RawResult } from 'autocannon';
import pg from 'pg';
import pino from 'pino';
import { keepHelperThreadsLowered } from '../src/cli/helper-threads.js';
import { DEFAULTS } from '../src/config/defaults.js';
import { loadConfig } from '../src/config/config.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../src/runtime.js';
import { buildServer } from '../src/server.js';
import { migrate, openStore, type Store } from '../src/store/db.js';
import { ALICE, ALICE_LOGIN, API, seedTenant } from '../test/helpers/app.js';
import type { GrantJob, GrantJobResult } from './grant-load.js';
import { postgresCpuMs, treeCpuMs } from './proc-cpu.js';

/**
 * What the benchmarks share: an in-process Tessera on a temporary SQLite
 * file, the timed slices (autocannon runs and plain promise chains), the
 * alternating rounds and the printed report. Each benchmark compares an
 * endpoint with a baseline operation at the heart of it (argon2id for the
 * password grant, an RS256 signature for the refresh grant).
 */

/** Operations in flight: autocannon connections, or promise chains for a baseline (BENCH_CONNECTIONS, default 16). */
export const CONCURRENCY = positiveInt('BENCH_CONNECTIONS', process.env.BENCH_CONNECTIONS, 16);

/** The database the bench's Tessera runs on (BENCH_DATABASE: sqlite, the default, or postgres). */
export const DATABASE: 'sqlite' | 'postgres' =
  process.env.BENCH_DATABASE === 'postgres' || process.env.BENCH_DATABASE === 'pg' ? 'postgres' : 'sqlite';

/** PostgreSQL for BENCH_DATABASE=postgres: the tests' server; the bench makes a schema of its own there. */
const PG_URL = process.env.TESSERA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive whole number, got "${value}"`);
    process.exit(2);
  }
  return n;
}
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
  /** The temporary directory holding the database (SQLite), or where the PostgreSQL schema is. */
  dir: string;
  /** The HTTP server (to time requests from inside it). */
  server: import('node:http').Server;
}

/** A fresh PostgreSQL schema for the bench (dropped by `close`), migrated. */
async function openPgStore(): Promise<Store> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  const store = openStore(PG_URL, { schema, poolSize: 10 });
  // Kysely's migrator lists tables across schemas: a test dropping its own schema meanwhile
  // fails it ("schema t_… does not exist"); that is someone else's, so try again.
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(store);
      break;
    } catch (err) {
      if (attempt >= 5 || !/schema "[^"]+" does not exist/.test(String(err))) throw err;
    }
  }
  return {
    ...store,
    async close() {
      await store.close();
      await admin(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

/**
 * withTessera's runtime option for a password check that answers at once
 * (right for Alice's password): what a login costs without its hash
 * (login-cost.ts, profile.ts --stub-hash).
 */
export const STUBBED_HASH: Pick<RuntimeOptions, 'verify'> = {
  verify: async (_stored, password) => ({ ok: password === ALICE.password, needsRehash: false }),
};

/**
 * Runs `body` against a Tessera built in-process on a temporary SQLite file
 * (WAL) or, with BENCH_DATABASE=postgres, a fresh PostgreSQL schema, seeded
 * with the test tenant (then `seed`, if given), listening on 127.0.0.1 on a
 * free port; closes it and deletes the files (the schema) afterwards.
 */
export async function withTessera(
  seed: ((rt: Runtime) => Promise<void>) | undefined,
  body: (t: Tessera) => Promise<void>,
  runtime: Pick<RuntimeOptions, 'verify'> = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  try {
    const config = loadConfig(
      {
        TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`, // a file, in WAL mode (openStore)
        TESSERA_ISSUER: 'http://127.0.0.1/',
        TESSERA_SECRET: randomBytes(32).toString('base64url'),
        TESSERA_LOG_LEVEL: 'silent',
        // At 32 logins in flight on a small machine the queue outlasts the default budget.
        ...(process.env.TESSERA_ADMISSION_BUDGET_MS
          ? { TESSERA_ADMISSION_BUDGET_MS: process.env.TESSERA_ADMISSION_BUDGET_MS }
          : {}),
        ...(process.env.TESSERA_HELPER_THREADS_NICE
          ? { TESSERA_HELPER_THREADS_NICE: process.env.TESSERA_HELPER_THREADS_NICE }
          : {}),
      },
      { host: '127.0.0.1', port: 0 },
    );
    const store = DATABASE === 'postgres' ? await openPgStore() : undefined;
    const rt = await createRuntime(config, { ...runtime, log: pino({ level: 'silent' }), store });
    try {
      await seedTenant(rt);
      await seed?.(rt);
      const app = await buildServer(rt);
      let helpers: { stop(): void } | undefined;
      try {
        await app.listen({ port: 0, host: '127.0.0.1' });
        // As tessera serve runs (TESSERA_HELPER_THREADS_NICE=0 measures without).
        helpers = await keepHelperThreadsLowered(config.helperThreadsNice, DEFAULTS.rules.threadsNiceCheckMs);
        const { port } = app.server.address() as AddressInfo;
        await body({
          rt,
          url: `http://127.0.0.1:${port}/oauth/token`,
          dir: DATABASE === 'postgres' ? `PostgreSQL schema ${rt.store.schema}` : dir,
          server: app.server,
        });
      } finally {
        helpers?.stop();
        closeLoad();
        await app.close();
      }
    } finally {
      await rt.store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The benches' password login: alice at the test tenant's client `acme-web`,
 * for the Orders API, with `extra` fields (a scope) added.
 */
export function aliceLogin(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...ALICE_LOGIN,
    audience: API,
    ...extra,
  };
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

/** A run of requests against the endpoint. */
export interface LoadSlice extends Slice {
  /** The event loop of this process (the server's, when the load runs in its own process). */
  loop: EventLoopUtilization;
  /** Latencies of the 2xx answers, ms, at full resolution (autocannon's histogram keeps whole ms). */
  latencies: number[];
  /** Answers by status code. */
  statuses: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /**
   * CPU spent beside the server during the run, ms (Linux /proc; remote load
   * only): PostgreSQL's processes (the store's backends) and the load
   * process (autocannon).
   */
  beside?: { databaseMs: number; loadMs: number };
}

/** An autocannon run against the endpoint, in this process. */
export interface GrantSlice extends LoadSlice {
  raw: RawResult;
}

const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
};

/**
 * `amount` requests, `options.connections` in flight, from autocannon in
 * this process (it then shares the server's event loop and CPU figures;
 * `remoteGrantSlice` does not). A fixed amount rather than a duration:
 * autocannon then waits for every answer, so no abandoned request keeps the
 * thread pool busy during the next baseline run. The time is taken to the
 * last answer: autocannon itself only notices the end on its next sample
 * tick, which would round every round up to whole ticks.
 */
export async function grantSlice(options: Options, amount: number): Promise<GrantSlice> {
  const latencies: number[] = [];
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let last = t0;
  const raw: RawResult = await autocannon({
    ...options,
    amount,
    sampleInt: 10,
    skipAggregateResult: true,
  }).on('response', (_client, statusCode, _bytes, responseTime) => {
    last = performance.now();
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const seconds = (last - t0) / 1000;
  const statuses: Record<string, number> = {};
  for (const [code, st] of Object.entries(raw.statusCodeStats)) statuses[code] = st.count;
  return {
    raw,
    latencies,
    cpuMs: cpuMsSince(cpu),
    count: raw['2xx'],
    seconds,
    rate: raw['2xx'] / seconds,
    loop: performance.eventLoopUtilization(elu),
    statuses,
    non2xx: raw.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
  };
}

let loadProcess: ChildProcess | undefined;

/** The load process (bench/grant-load.ts), started on first use and kept for the whole run. */
function loadChild(): ChildProcess {
  if (!loadProcess) {
    loadProcess = fork(fileURLToPath(new URL('./grant-load.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, UV_THREADPOOL_SIZE: '4' },
    });
    loadProcess.once('exit', (code) => {
      if (code) {
        console.error(`the load process exited with ${code}`);
        process.exit(1);
      }
    });
  }
  return loadProcess;
}

/** Ends the load process, if one was started. */
export function closeLoad(): void {
  loadProcess?.disconnect();
  loadProcess = undefined;
}

/** A grant job without its size: what a bench describes once. */
export type GrantLoad = Omit<GrantJob, 'amount' | 'connections'> & { connections?: number };

/**
 * `amount` requests, CONCURRENCY (or `load.connections`) in flight, sent by
 * autocannon in a process of its own, so the load never runs on the
 * server's event loop and the CPU figures are the server's alone. A rotating
 * refresh load's chains (`load.rotate.tokens`) are updated in place.
 */
export async function remoteGrantSlice(load: GrantLoad, amount: number): Promise<LoadSlice> {
  const child = loadChild();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const job: GrantJob = { ...load, amount, connections: load.connections ?? CONCURRENCY };
  const database0 = postgresCpuMs();
  const load0 = child.pid === undefined ? 0 : treeCpuMs(child.pid);
  const r = await new Promise<GrantJobResult>((resolve) => {
    child.once('message', (m) => resolve(m as GrantJobResult));
    child.send(job);
  });
  const beside = {
    databaseMs: postgresCpuMs() - database0,
    loadMs: child.pid === undefined ? 0 : treeCpuMs(child.pid) - load0,
  };
  if (load.rotate && r.tokens) load.rotate.tokens.splice(0, r.tokens.length, ...r.tokens);
  return {
    latencies: r.latencies,
    cpuMs: cpuMsSince(cpu),
    count: r.ok,
    seconds: r.seconds,
    rate: r.ok / r.seconds,
    loop: performance.eventLoopUtilization(elu),
    statuses: r.statuses,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    beside,
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

/** The CPU beside the server per 2xx answer over `slices` (remote load slices only), ms. */
function besidePerOp(slices: Slice[]): { databaseMs: number; loadMs: number } | undefined {
  const remote = slices.filter((s): s is LoadSlice => (s as LoadSlice).beside !== undefined);
  const count = remote.reduce((n, s) => n + s.count, 0);
  if (remote.length === 0 || count === 0) return undefined;
  const sum = (pick: (b: { databaseMs: number; loadMs: number }) => number) =>
    remote.reduce((ms, s) => ms + pick(s.beside!), 0) / count;
  return { databaseMs: sum((b) => b.databaseMs), loadMs: sum((b) => b.loadMs) };
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
  rounds: Rounds<OpsSlice, LoadSlice>;
  baseline: Side;
  grant: Side & {
    /** The options of in-process grant runs (unused now: the slices carry their counts). */
    options?: Options;
    /** `grant responses`, `… grant requests did not answer 200`. */
    noun: string;
    /** One operation in the CPU line, e.g. `login`. */
    op: string;
    /** What the figures should measure, e.g. `logins`. */
    plural: string;
    /** Unused: latency percentiles are always taken from the measured 2xx latencies (full resolution). */
    latency?: 'histogram' | 'measured';
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
  const grantAll = {
    ok: grants.reduce((n, g) => n + g.count, 0),
    non2xx: grants.reduce((n, g) => n + g.non2xx, 0),
    errors: grants.reduce((n, g) => n + g.errors, 0),
    timeouts: grants.reduce((n, g) => n + g.timeouts, 0),
    statuses: {} as Record<string, number>,
  };
  for (const g of grants)
    for (const [code, n] of Object.entries(g.statuses))
      grantAll.statuses[code] = (grantAll.statuses[code] ?? 0) + n;
  const baseLatencies = baseline.flatMap((a) => a.latencies).sort((a, b) => a - b);
  const grantSorted = grants.flatMap((g) => g.latencies).sort((a, b) => a - b);
  const grantLatency = { p50: percentile(grantSorted, 50), p99: percentile(grantSorted, 99) };
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
      grantAll.ok,
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

  const statuses = Object.entries(grantAll.statuses)
    .map(([code, n]) => `${n} x ${code}`)
    .join(', ');
  console.log(
    `\n  ${s.grant.noun} responses: ${statuses || 'none'}; ${grantAll.errors} errors, ${grantAll.timeouts} timeouts`,
  );
  // Near 100% would mean the event loop, not the pool, is the limit (with in-process
  // load, autocannon shares the thread too).
  console.log(
    `  event loop busy during the ${s.grant.series}: ${((100 * loopActive) / loopAll).toFixed(0)}%`,
  );
  // CPU time per operation hardly depends on what else runs on the machine:
  // its ratio is a second, steadier view of the same question on a
  // saturated box. With the load in its own process (remoteGrantSlice) the
  // endpoint's figure is the server's alone; the difference is the CPU the
  // request costs beyond its baseline operation.
  const baseCpu = cpuPerOp(baseline);
  const grantCpu = cpuPerOp(grants);
  console.log(
    `  CPU per operation: ${s.baseline.label} ${baseCpu.toFixed(3)} ms, ${s.grant.op} ${grantCpu.toFixed(3)} ms ` +
      `(ratio ${(baseCpu / grantCpu).toFixed(3)}; ${(grantCpu - baseCpu).toFixed(3)} ms more per ${s.grant.op})`,
  );
  const beside = besidePerOp(grants);
  if (beside) {
    const machine = grantCpu + beside.databaseMs + beside.loadMs;
    console.log(
      `  CPU beside the server per ${s.grant.op}: PostgreSQL ${beside.databaseMs.toFixed(3)} ms, ` +
        `load process ${beside.loadMs.toFixed(3)} ms (${machine.toFixed(3)} ms in all; ` +
        `${s.baseline.label} ÷ that: ${(baseCpu / machine).toFixed(3)})`,
    );
  }
  const verdict =
    s.target === undefined ? '' : `, target >= ${s.target}: ${ratio >= s.target ? 'PASS' : 'BELOW TARGET'}`;
  console.log(
    `  ratio ${s.grant.rateName} / ${s.baseline.rateName} = ${ratio.toFixed(3)} ` +
      `(median of ${rounds} rounds; pooled ${(grantRps / baseRate).toFixed(3)})${verdict}`,
  );

  const sent = grantAll.ok + grantAll.non2xx + grantAll.errors + grantAll.timeouts;
  const failed = sent - grantAll.ok;
  if (failed > Math.max(1, sent * MAX_ERROR_SHARE)) {
    console.error(
      `\n  FAILED: ${failed} of ${sent} ${s.grant.noun} requests did not answer 200 (${statuses}); ` +
        `the figures above measure errors, not ${s.grant.plural}.`,
    );
    process.exitCode = 1;
  }
}

/** The part of autocannon's `-j` summary the benches read. */
export interface AutocannonSummary {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  requests: { total: number };
  latency: { p50: number; p99: number };
}

const AUTOCANNON_CLI = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/**
 * Runs the autocannon CLI in a process of its own (never the server's event
 * loop): `connections` connections POST the urlencoded `form` to `url` for
 * `seconds`. Its JSON summary.
 */
export async function autocannonCli(
  url: string,
  form: string,
  connections: number,
  seconds: number,
): Promise<AutocannonSummary> {
  const argv = [AUTOCANNON_CLI, '-j', '-n', '-c', String(connections), '-d', String(seconds), '-m', 'POST'];
  argv.push('-H', 'content-type=application/x-www-form-urlencoded', '-b', form, url);
  const { stdout } = await promisify(execFile)(process.execPath, argv, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as AutocannonSummary;
}
