import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { KEYS_RELOAD_MS } from '../../src/keys/keystore.js';
import { CONFIG_CACHE_TTL_MS } from '../../src/store/config-cache.js';
import { runTessera } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { type RedisInstance, startRedis } from '../helpers/redis-instance.js';

const PG_URL = process.env.TESSERA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'two-nodes-client-secret-0123456789';
const PASSWORD = 'Alice-two-nodes-passw0rd';
const AUDIENCE = 'https://api.acme.test/orders';
/** What a node may add to a documented propagation time: the CLI's exit, the polling, a loaded machine. */
const SLACK_MS = 2_000;

const WRONG_BODY = { error: 'invalid_grant', error_description: 'Wrong email or password.' };
const BRUTE_FORCE_BODY = {
  error: 'too_many_attempts',
  error_description:
    "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it.",
};

const tenant = (tokenLifetime: number) => `
tenant: { default_directory: Username-Password-Authentication, default_audience: ${AUDIENCE} }
connections:
  - name: Username-Password-Authentication
    strategy: auth0
    enabled_clients: [app]
    options: { brute_force_protection: true }
resourceServers:
  - name: Orders API
    identifier: ${AUDIENCE}
    scopes: [{ value: read:orders }]
    allow_offline_access: true
    token_lifetime: ${tokenLifetime}
clients:
  - name: App
    client_id: app
    client_secret: ${SECRET}
    token_endpoint_auth_method: client_secret_post
    grant_types: [password, refresh_token, client_credentials]
    refresh_token: { rotation_type: rotating, expiration_type: expiring, leeway: 0 }
clientGrants:
  - { client_id: app, audience: ${AUDIENCE}, scope: [read:orders] }
attackProtection:
  bruteForceProtection: { enabled: true, max_attempts: 10, shields: [block, user_notification] }
  suspiciousIpThrottling: { enabled: false }
users:
  - connection: Username-Password-Authentication
    email: alice@acme.test
    password: ${PASSWORD}
  - connection: Username-Password-Authentication
    email: bob@acme.test
    password: ${PASSWORD}
`;

interface Node {
  url: string;
  child: ChildProcess;
  out: () => string;
}

/** `tessera serve` from the sources, in a process of its own (UV_THREADPOOL_SIZE set: no re-exec). */
async function serve(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Node> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${out}`);
    try {
      if ((await fetch(`${url}/.well-known/jwks.json`)).ok) return { url, child, out: () => out };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`serve did not answer in 60 s: ${out}`);
    await sleep(100);
  }
}

async function stop(node: Node | undefined): Promise<void> {
  if (!node || node.child.exitCode !== null) return;
  const exited = new Promise((r) => node.child.once('exit', r));
  node.child.kill('SIGTERM');
  await exited;
}

const post = (node: Node, form: Record<string, string>) =>
  fetch(`${node.url}/oauth/token`, { method: 'POST', body: new URLSearchParams(form) });
const password = (node: Node, username: string, pass: string, scope = 'openid') =>
  post(node, {
    grant_type: 'password',
    username,
    password: pass,
    client_id: 'app',
    client_secret: SECRET,
    scope,
  });
const refresh = (node: Node, refresh_token: string) =>
  post(node, { grant_type: 'refresh_token', client_id: 'app', client_secret: SECRET, refresh_token });
const machineToken = async (node: Node) => {
  const res = await post(node, {
    grant_type: 'client_credentials',
    client_id: 'app',
    client_secret: SECRET,
    audience: AUDIENCE,
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { access_token: string }).access_token;
};
const jwksKids = async (node: Node) =>
  ((await (await fetch(`${node.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map(
    (k) => k.kid,
  );

/** Polls `check` on a node until it holds; resolves the time it took from `since`, ms. */
async function seenWithin(since: number, check: () => Promise<boolean>, limitMs: number): Promise<number> {
  for (;;) {
    if (await check()) return Date.now() - since;
    if (Date.now() - since > limitMs) return Number.POSITIVE_INFINITY;
    await sleep(100);
  }
}

/**
 * Two `tessera serve` nodes on one PostgreSQL (a database of this suite's own)
 * and one Redis (a redis-server of its own): what one node counts, rotates or
 * is told, the other knows.
 */
describe('two nodes on one PostgreSQL and one Redis (e2e)', { timeout: 180_000 }, () => {
  // A database of this suite's own (a schema would need every node's connections to set search_path).
  const database = `tessera_e2e_${randomBytes(6).toString('hex')}`;
  let dir: string;
  let redis: RedisInstance;
  let env: NodeJS.ProcessEnv;
  let a: Node | undefined;
  let b: Node | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-two-nodes-'));
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    redis = await startRedis();
    env = {
      ...process.env,
      TESSERA_DATABASE_URL: PG_URL.replace(/\/[^/]*$/, `/${database}`),
      TESSERA_REDIS_URL: redis.url,
      TESSERA_SECRET: 'two-nodes-secret-two-nodes-secret-0123',
      TESSERA_ISSUER: 'https://auth.acme.test/',
      TESSERA_DATA_DIR: join(dir, 'data'),
      TESSERA_LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      UV_THREADPOOL_SIZE: '2',
    };
    writeFileSync(join(dir, 'tenant.yaml'), tenant(3600));
    const applied = await runTessera(['apply', join(dir, 'tenant.yaml')], env);
    assert.equal(applied.code, 0, applied.stderr);
    [a, b] = await Promise.all([serve(env, ['--workers', '2']), serve(env, ['--workers', '2'])]);
  });
  after(async () => {
    await Promise.all([stop(a), stop(b)]);
    await redis?.close();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts brute force across nodes: 10 wrong guesses spread over both block the user on both', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await password(i % 2 ? b! : a!, 'alice@acme.test', `wrong guess ${i}`);
      assert.equal(res.status, 403, `guess ${i + 1}`);
      assert.deepEqual(await res.json(), WRONG_BODY);
    }
    for (const node of [a!, b!]) {
      const res = await password(node, 'alice@acme.test', PASSWORD);
      assert.equal(res.status, 429);
      assert.deepEqual(await res.json(), BRUTE_FORCE_BODY);
      assert.equal(res.headers.get('retry-after'), '3600');
    }
  });

  it('races one refresh token across both nodes: exactly one rotation wins', async () => {
    const login = await password(a!, 'bob@acme.test', PASSWORD, 'openid offline_access read:orders');
    assert.equal(login.status, 200, await login.clone().text());
    const first = ((await login.json()) as { refresh_token: string }).refresh_token;
    // Four exchanges of the same token at once, two on each node.
    const answers = await Promise.all([a!, b!, a!, b!].map((n) => refresh(n, first)));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { refresh_token?: string }[];
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200, 200, 200],
      JSON.stringify(bodies),
    );
    // One rotation: the others are retries, answered with the same successor (README, "Rotation").
    const successors = new Set(bodies.map((x) => x.refresh_token));
    assert.equal(successors.size, 1, `successors: ${[...successors].join(', ')}`);
    assert.ok(![...successors].includes(first));
    const next = await refresh(b!, [...successors][0]!);
    assert.equal(next.status, 200, 'the family was not revoked');
    // The rotated-away token, once its successor is used, is reuse on either node.
    const reuse = await refresh(a!, first);
    assert.equal(reuse.status, 403);
    assert.deepEqual(await reuse.json(), {
      error: 'invalid_grant',
      error_description: 'Unknown or invalid refresh token.',
    });
  });

  it(`publishes a key rotated elsewhere on both nodes within ${KEYS_RELOAD_MS / 1000} s, and signs with it`, async () => {
    const before = await Promise.all([jwksKids(a!), jwksKids(b!)]);
    const rotated = await runTessera(['keys', 'rotate', '--delay', '0'], env);
    const done = Date.now();
    assert.equal(rotated.code, 0, rotated.stderr);
    const kid = /^new key (\S+):/.exec(rotated.stdout)?.[1];
    assert.ok(kid, rotated.stdout);
    assert.ok(!before[0]!.includes(kid) && !before[1]!.includes(kid));
    const limit = KEYS_RELOAD_MS + SLACK_MS;
    const [tookA, tookB] = await Promise.all(
      [a!, b!].map((n) =>
        seenWithin(
          done,
          async () =>
            (await jwksKids(n)).includes(kid) && decodeProtectedHeader(await machineToken(n)).kid === kid,
          limit,
        ),
      ),
    );
    assert.ok(tookA <= limit && tookB <= limit, `seen after ${tookA} ms and ${tookB} ms (limit ${limit})`);
  });

  it(`sees a tenant change applied elsewhere on both nodes within ${CONFIG_CACHE_TTL_MS / 1000} s`, async () => {
    const lifetime = async (n: Node) => {
      const { iat, exp } = decodeJwt(await machineToken(n));
      return exp! - iat!;
    };
    assert.deepEqual(await Promise.all([lifetime(a!), lifetime(b!)]), [3600, 3600]);
    writeFileSync(join(dir, 'tenant.yaml'), tenant(600));
    const applied = await runTessera(['apply', join(dir, 'tenant.yaml')], env);
    const done = Date.now();
    assert.equal(applied.code, 0, applied.stderr);
    const limit = CONFIG_CACHE_TTL_MS + SLACK_MS;
    const took = await Promise.all(
      [a!, b!].map((n) => seenWithin(done, async () => (await lifetime(n)) === 600, limit)),
    );
    assert.ok(
      took.every((t) => t <= limit),
      `seen after ${took.join(' ms and ')} ms (limit ${limit})`,
    );
  });
});
