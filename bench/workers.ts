import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../test/helpers/free-port.js';
import { autocannonCli, median, postForm, run } from './lib.js';
import { treeCpuMs } from './proc-cpu.js';

/**
 * All cores (issue 17, item 2): the same Tessera as `tessera serve
 * --workers 1` and `--workers 2`, side by side on one database, loaded in
 * turn by autocannon's CLI in a process of its own (never the server's event
 * loop). Rounds alternate the order (1, 2, 2, 1, …) so that outside load
 * spoils a round, not a side; each grant's verdict is the median per-round
 * ratio of 2xx answers per second, workers 2 ÷ workers 1. Goal: non-hash
 * throughput (client credentials, refresh) ≥ 0.9 × N on N cores (1.8 for 2);
 * the password grant unchanged or better (≥ 1.0; it is bound by argon2,
 * which already used every core).
 *
 *     npx tsx bench/workers.ts [--duration 5] [--rounds 3] [--connections 32]
 *       [--database postgres://postgres@127.0.0.1:5432/test]   (a database of its own is made there
 *                                                              and dropped; default: a temporary SQLite file)
 *       [--workers 2]                                          (the second side)
 *       [--password]                                           (also the password grant)
 *       [--load wrk]                                           (wrk instead of autocannon: apt-get install wrk)
 *
 * On a machine with few cores the load generator takes part of the cores the
 * second side would use, so the ratio is a lower bound there; the line
 * "per busy core" divides each side's rate by the cores its server kept busy:
 * near 1.0, the workers add no cost of their own and the rate follows the
 * cores they get.
 */

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    database: { type: 'string' },
    workers: { type: 'string' },
    password: { type: 'boolean' },
    load: { type: 'string' },
  },
});
const DURATION = Number(args.duration ?? process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(args.rounds ?? 3);
const CONNECTIONS = Number(args.connections ?? 32);
const WORKERS = Number(args.workers ?? 2);
/** The load generator: autocannon's CLI (default), or wrk (`--load wrk`, Debian's package `wrk`), which takes far less of the cores it measures. */
const LOADER = args.load ?? 'autocannon';
if (LOADER !== 'autocannon' && LOADER !== 'wrk') throw new Error(`--load ${LOADER}: use autocannon or wrk`);
const REPO = resolve(import.meta.dirname, '..');
const SECRET = 'bench-workers-client-secret-0123456789';
const AUDIENCE = 'https://api.acme.test/orders';
const PASSWORD = 'Alice-bench-passw0rd';

const TENANT = `
tenant: { default_directory: Username-Password-Authentication, default_audience: ${AUDIENCE} }
connections:
  - { name: Username-Password-Authentication, strategy: auth0, enabled_clients: [app] }
resourceServers:
  - { name: Orders API, identifier: ${AUDIENCE}, scopes: [{ value: read:orders }], allow_offline_access: true }
clients:
  - name: App
    client_id: app
    client_secret: ${SECRET}
    token_endpoint_auth_method: client_secret_post
    grant_types: [password, refresh_token, client_credentials]
    refresh_token: { rotation_type: non-rotating, expiration_type: expiring }
clientGrants:
  - { client_id: app, audience: ${AUDIENCE}, scope: [read:orders] }
users:
  - { connection: Username-Password-Authentication, email: alice@acme.test, password: ${PASSWORD} }
`;

interface Server {
  workers: number;
  url: string;
  child: ChildProcess;
}

async function serve(env: NodeJS.ProcessEnv, workers: number): Promise<Server> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--workers', String(workers)],
    { cwd: REPO, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`serve --workers ${workers} exited: ${out}`);
    if (
      await fetch(`${url}/.well-known/jwks.json`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { workers, url, child };
    if (i > 1200) {
      child.kill('SIGKILL');
      throw new Error(`serve --workers ${workers} did not start: ${out}`);
    }
    await sleep(100);
  }
}

interface Load {
  /** The server's CPU per 2xx answer, ms, and the cores it kept busy. */
  cpuPerOk: number;
  cores: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** wrk's report of a run, printed as JSON by the script's `done` (latencies in µs). */
const WRK_SCRIPT = `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = os.getenv("BENCH_FORM")
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"non2xx":%d,"errors":%d,"duration":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
`;

/** One wrk run (one thread), in a process of its own; its summary. */
async function wrkLoad(server: Server, form: string, seconds: number, connections: number): Promise<Load> {
  const script = join(tmpdir(), `tessera-bench-wrk-${process.pid}.lua`);
  writeFileSync(script, WRK_SCRIPT);
  const cpu0 = treeCpuMs(server.child.pid!);
  const { stdout } = await promisify(execFile)(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, `${server.url}/oauth/token`],
    { env: { ...process.env, BENCH_FORM: form }, maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new Error('--load wrk: wrk is not installed (apt-get install wrk)');
    throw err;
  });
  const cpu = treeCpuMs(server.child.pid!) - cpu0;
  const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no summary: ${stdout}`);
  const r = JSON.parse(line) as {
    requests: number;
    non2xx: number;
    errors: number;
    duration: number;
    p50: number;
    p99: number;
  };
  const secs = r.duration / 1e6;
  const ok = r.requests - r.non2xx;
  return {
    cpuPerOk: cpu / Math.max(1, ok),
    cores: cpu / (secs * 1000),
    rps: ok / secs,
    p50: r.p50 / 1000,
    p99: r.p99 / 1000,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** One run of the load generator, in a process of its own; its summary. */
async function load(server: Server, form: string, seconds: number, connections = CONNECTIONS): Promise<Load> {
  if (LOADER === 'wrk') return wrkLoad(server, form, seconds, connections);
  const cpu0 = treeCpuMs(server.child.pid!);
  const r = await autocannonCli(`${server.url}/oauth/token`, form, connections, seconds);
  const cpu = treeCpuMs(server.child.pid!) - cpu0;
  return {
    cpuPerOk: cpu / Math.max(1, r['2xx']),
    cores: cpu / (r.duration * 1000),
    rps: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

const form = (f: Record<string, string>) =>
  new URLSearchParams({ client_id: 'app', client_secret: SECRET, ...f }).toString();

if (args.database !== undefined && !/^postgres(ql)?:\/\//.test(args.database)) {
  console.error(
    `--database takes a PostgreSQL URL (postgres://user@host:port/db, a database of the run's own is made next to db), not "${args.database}"`,
  );
  process.exit(2);
}

/** With --database postgres://…/DB: a database of the run's own next to DB, dropped at the end. */
const pgDatabase = args.database
  ? (() => {
      const name = `tessera_bench_${randomBytes(6).toString('hex')}`;
      const admin = async (sql: string) => {
        const c = new pg.Client({ connectionString: args.database });
        await c.connect();
        await c.query(sql);
        await c.end();
      };
      return {
        async create() {
          await admin(`CREATE DATABASE ${name}`);
          return args.database!.replace(/\/[^/?]*(\?.*)?$/, `/${name}`);
        },
        drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      };
    })()
  : undefined;

run(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-workers-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TESSERA_DATABASE_URL: (await pgDatabase?.create()) ?? `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_SECRET: 'bench-workers-secret-bench-workers-secret',
    TESSERA_ISSUER: 'https://auth.acme.test/',
    TESSERA_DATA_DIR: join(dir, 'data'),
    TESSERA_LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    UV_THREADPOOL_SIZE: String(Math.max(2, availableParallelism())),
  };
  delete env.TESSERA_REDIS_URL;
  const servers: Server[] = [];
  try {
    writeFileSync(join(dir, 'tenant.yaml'), TENANT);
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'apply', join(dir, 'tenant.yaml')],
      { cwd: REPO, env },
    );
    servers.push(await serve(env, 1));
    servers.push(await serve(env, WORKERS));
    const login = await postForm(
      `${servers[0]!.url}/oauth/token`,
      form({
        grant_type: 'password',
        username: 'alice@acme.test',
        password: PASSWORD,
        scope: 'offline_access',
      }),
    );
    if (login.status !== 200) throw new Error(`the login failed: ${JSON.stringify(login.body)}`);
    const grants: { name: string; form: string; connections?: number }[] = [
      { name: 'client_credentials', form: form({ grant_type: 'client_credentials', audience: AUDIENCE }) },
      {
        name: 'refresh_token (non-rotating)',
        form: form({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token }),
      },
      ...(args.password
        ? [
            {
              name: 'password',
              form: form({ grant_type: 'password', username: 'alice@acme.test', password: PASSWORD }),
              // A few in flight: more only queue for the hash pool (and get admission control's 503).
              connections: 8,
            },
          ]
        : []),
    ];
    console.log(
      `${availableParallelism()} cores; load from ${LOADER}; ${CONNECTIONS} connections; ${ROUNDS} rounds of ${DURATION} s per side and grant; database ${args.database ? 'PostgreSQL' : 'SQLite (file, WAL)'}; no Redis`,
    );
    for (const s of servers) for (const g of grants) await load(s, g.form, 1, g.connections); // warm-up
    for (const g of grants) {
      const one: Load[] = [];
      const many: Load[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 ? [servers[1]!, servers[0]!] : [servers[0]!, servers[1]!];
        for (const s of order)
          (s.workers === 1 ? one : many).push(await load(s, g.form, DURATION, g.connections));
      }
      const ratios = one.map((o, i) => many[i]!.rps / o.rps);
      const fmt = (l: Load[]) =>
        `${median(l.map((x) => x.rps)).toFixed(0)} req/s (p50 ${median(l.map((x) => x.p50))} ms, p99 ${median(l.map((x) => x.p99))} ms; server CPU ${median(l.map((x) => x.cpuPerOk)).toFixed(2)} ms per answer, ${median(l.map((x) => x.cores)).toFixed(2)} cores busy)`;
      const bad = [...one, ...many].reduce((n, x) => n + x.non2xx + x.errors, 0);
      const goal = g.name === 'password' ? 1 : 0.9 * WORKERS;
      const ratio = median(ratios);
      console.log(
        `${g.name}: --workers 1 ${fmt(one)}; --workers ${WORKERS} ${fmt(many)}; per round ${ratios.map((x) => x.toFixed(2)).join(', ')}`,
      );
      const perCore = (l: Load[]) => median(l.map((x) => x.rps / Math.max(0.01, x.cores)));
      console.log(
        `  per busy core: --workers 1 ${perCore(one).toFixed(0)} req/s, --workers ${WORKERS} ${perCore(many).toFixed(0)} req/s (ratio ${(perCore(many) / perCore(one)).toFixed(2)})`,
      );
      console.log(
        `  ratio workers ${WORKERS} / workers 1 = ${ratio.toFixed(2)} (goal >= ${goal.toFixed(1)}: ${ratio >= goal ? 'met' : 'not met'})${bad ? `; ${bad} non-2xx or errors` : ''}`,
      );
    }
  } finally {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise((r) => {
            s.child.once('exit', r);
            s.child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
    await pgDatabase?.drop();
  }
});
