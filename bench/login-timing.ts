import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { ALICE, addUser, SECRET } from '../test/helpers/app.js';
import { percentile, postForm, run, withTessera } from './lib.js';
import { protectionsSeed } from './protections.js';

/**
 * Can response time tell which usernames exist, or which users were imported
 * with a slower hash? A Tessera runs in a child process (its own event loop
 * and thread pool); this process is the attacker. Its connection holds
 * argon2id users (alice, a blocked one) and imported bcrypt users (one per
 * cost factor, default 10 and 11). The cases are sent interleaved in random
 * order, a few in flight: an unknown user, a wrong password for each kind of
 * user, and alice's right password for reference. For each pair of failure
 * cases the report gives the best accuracy a single latency threshold gets at
 * telling them apart (balanced, on the measured samples themselves, so
 * optimistic); target <= 0.60 for every pair. 0.5 is a coin toss.
 */

const TARGET_ACCURACY = 0.6;

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    count: { type: 'string' },
    concurrency: { type: 'string' },
    bcrypt: { type: 'string' },
    seed: { type: 'string' },
  },
});

const positiveInt = (name: string, value: string | undefined, fallback: number): number => {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got "${value}"`);
    process.exit(2);
  }
  return n;
};

const COUNT = positiveInt('count', args.count ?? process.env.BENCH_COUNT, 300);
const CONCURRENCY = positiveInt('concurrency', args.concurrency ?? process.env.BENCH_CONCURRENCY, 2);
const BCRYPT_COSTS = (args.bcrypt ?? process.env.BENCH_BCRYPT ?? '10,11').split(',').map((c) => {
  const n = Number(c);
  if (!Number.isInteger(n) || n < 4 || n > 14) {
    console.error(`--bcrypt must list bcrypt cost factors from 4 to 14, e.g. 10,11; got "${c}"`);
    process.exit(2);
  }
  return n;
});
const WARMUP = 10;

interface Case {
  name: string;
  username: string;
  password: string;
  /** The answer expected: 200 (the reference) or 403 invalid_grant. */
  status: 200 | 403;
}

const BLOCKED = { email: 'blocked@acme.test', password: 'blocked-password-1' };
const imported = (cost: number) => ({ email: `imported-${cost}@acme.test`, password: `imported-${cost}` });

const CASES: Case[] = [
  { name: 'unknown user', username: 'nobody@acme.test', password: 'a-guess', status: 403 },
  { name: 'argon2id, wrong password', username: ALICE.email, password: 'a-guess', status: 403 },
  { name: 'blocked, wrong password', username: BLOCKED.email, password: 'a-guess', status: 403 },
  ...BCRYPT_COSTS.map(
    (cost): Case => ({
      name: `bcrypt ${cost}, wrong password`,
      username: imported(cost).email,
      password: 'a-guess',
      status: 403,
    }),
  ),
  { name: 'argon2id, right password', username: ALICE.email, password: ALICE.password, status: 200 },
];

/** The server side: a Tessera with the users above, until the parent disconnects. */
async function serve(): Promise<void> {
  await withTessera(
    async (rt) => {
      await protectionsSeed('off')(rt); // hundreds of wrong passwords for one user
      await addUser(rt, {
        user_id: 'auth0|blocked',
        connection_id: 'con_default',
        email: BLOCKED.email,
        password: BLOCKED.password,
        blocked: true,
      });
      for (const cost of BCRYPT_COSTS) {
        const u = imported(cost);
        await addUser(rt, {
          user_id: `auth0|imported-${cost}`,
          connection_id: 'con_default',
          email: u.email,
          hash: await bcryptHash(u.password, cost),
        });
      }
    },
    async (t) => {
      // Profiles are measured when the server boots; these users were added after, so measure now.
      await t.rt.loginTiming.prime(['con_default']);
      process.send?.({ url: t.url });
      await new Promise<void>((resolve) => process.once('disconnect', resolve));
    },
  );
}

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--serve', ...(args.bcrypt ? ['--bcrypt', args.bcrypt] : [])],
    {
      env: {
        ...process.env,
        UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(availableParallelism()),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ child, url: m.url }));
    child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before it listened`)));
  });
}

const form = (c: Case) =>
  new URLSearchParams({
    grant_type: 'password',
    username: c.username,
    password: c.password,
    client_id: 'acme-web',
    client_secret: SECRET,
  }).toString();

/** A small seeded PRNG (mulberry32), so a run's order can be replayed with --seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sends `count` requests of each case in a shuffled order, CONCURRENCY in flight; latencies by case. */
async function measure(url: string, count: number, rand: () => number): Promise<Map<Case, number[]>> {
  const order = CASES.flatMap((c) => Array.from({ length: count }, () => c));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const bodies = new Map(CASES.map((c) => [c, form(c)]));
  const out = new Map<Case, number[]>(CASES.map((c) => [c, []]));
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const c = order[next++]!;
      const t0 = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: bodies.get(c),
      });
      const body = await res.text();
      const ms = performance.now() - t0;
      if (res.status !== c.status)
        throw new Error(`${c.name}: expected ${c.status}, got ${res.status} ${body}`);
      out.get(c)!.push(ms);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}

/**
 * The best balanced accuracy of one threshold separating two samples (either
 * way round): 0.5 + the Kolmogorov-Smirnov distance / 2.
 */
function thresholdAccuracy(a: number[], b: number[]): number {
  const all = [...a.map((v) => [v, 0] as const), ...b.map((v) => [v, 1] as const)].sort(
    (x, y) => x[0] - y[0],
  );
  let belowA = 0;
  let belowB = 0;
  let best = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i]![1] === 0) belowA++;
    else belowB++;
    if (i + 1 < all.length && all[i + 1]![0] === all[i]![0]) continue; // a threshold sits between values
    best = Math.max(best, Math.abs(belowA / a.length - belowB / b.length));
  }
  return 0.5 + best / 2;
}

async function main(): Promise<void> {
  const seed = Number(args.seed ?? Date.now() % 2 ** 31);
  const { child, url } = await startServer();
  try {
    const { status, body } = await postForm(url, form(CASES.at(-1)!));
    if (status !== 200 || !body.access_token)
      throw new Error(`alice cannot log in: ${status} ${JSON.stringify(body)}`);
    console.log(
      `login-timing bench: ${availableParallelism()} cores, server in process ${child.pid}, ` +
        `${COUNT} requests per case interleaved (seed ${seed}), ${CONCURRENCY} in flight, ` +
        `bcrypt costs ${BCRYPT_COSTS.join(', ')}`,
    );
    const rand = random(seed);
    await measure(url, WARMUP, rand);
    const t0 = performance.now();
    const samples = await measure(url, COUNT, rand);
    const seconds = (performance.now() - t0) / 1000;

    const width = Math.max(...CASES.map((c) => c.name.length)) + 2;
    const ms = (v: number) => `${v.toFixed(1)}`.padStart(8);
    console.log(
      `\n  ${'case'.padEnd(width)}${['n', 'p5', 'p50', 'p95', 'p99'].map((h) => h.padStart(8)).join('')}  (ms)`,
    );
    for (const c of CASES) {
      const s = [...samples.get(c)!].sort((x, y) => x - y);
      const row = [5, 50, 95, 99].map((p) => ms(percentile(s, p))).join('');
      console.log(`  ${c.name.padEnd(width)}${String(s.length).padStart(8)}${row}`);
    }

    const failures = CASES.filter((c) => c.status === 403);
    console.log('\n  best single-threshold accuracy, failure cases pairwise (0.5 = a coin toss):');
    let worst = 0;
    for (let i = 0; i < failures.length; i++) {
      for (let j = i + 1; j < failures.length; j++) {
        const acc = thresholdAccuracy(samples.get(failures[i]!)!, samples.get(failures[j]!)!);
        worst = Math.max(worst, acc);
        console.log(`    ${failures[i]!.name} / ${failures[j]!.name}: ${acc.toFixed(3)}`);
      }
    }
    const success = CASES.at(-1)!;
    const reference = thresholdAccuracy(samples.get(success)!, samples.get(failures[0]!)!);
    console.log(
      `    (reference: ${success.name} / ${failures[0]!.name}: ${reference.toFixed(3)}, not padded)`,
    );
    console.log(
      `\n  ${CASES.length * COUNT} requests in ${seconds.toFixed(1)} s; worst pair ${worst.toFixed(3)}, ` +
        `target <= ${TARGET_ACCURACY}: ${worst <= TARGET_ACCURACY ? 'PASS' : 'ABOVE TARGET'}`,
    );
  } finally {
    child.disconnect();
  }
}

if (args.serve) run(serve);
else run(main);
