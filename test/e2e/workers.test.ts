import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeProtectedHeader } from 'jose';
import { KEYS_RELOAD_MS } from '../../src/keys/keystore.js';
import { runTessera } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';

const SECRET = 'workers-client-secret-0123456789';
const PASSWORD = 'Alice-workers-passw0rd';
const AUDIENCE = 'https://api.acme.test/orders';
const SLACK_MS = 2_000;
const WRONG_BODY = { error: 'invalid_grant', error_description: 'Wrong email or password.' };
const BRUTE_FORCE_BODY = {
  error: 'too_many_attempts',
  error_description:
    "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it.",
};

const TENANT = `
tenant: { default_directory: Username-Password-Authentication, default_audience: ${AUDIENCE} }
connections:
  - name: Username-Password-Authentication
    strategy: auth0
    enabled_clients: [app]
    options: { brute_force_protection: true }
resourceServers:
  - { name: Orders API, identifier: ${AUDIENCE}, scopes: [{ value: read:orders }] }
clients:
  - name: App
    client_id: app
    client_secret: ${SECRET}
    token_endpoint_auth_method: client_secret_post
    grant_types: [password, client_credentials]
clientGrants:
  - { client_id: app, audience: ${AUDIENCE}, scope: [read:orders] }
attackProtection:
  bruteForceProtection: { enabled: true, max_attempts: 10, shields: [block, user_notification] }
  suspiciousIpThrottling: { enabled: false }
users:
${['alice', 'bob', 'carol', 'dave'].map((u) => `  - { connection: Username-Password-Authentication, email: ${u}@acme.test, password: ${PASSWORD} }`).join('\n')}
`;

interface Answer {
  status: number;
  body: unknown;
}

/** One request on a connection of its own: the cluster's round robin hands each to the next worker. */
function send(url: string, path: string, form?: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const req = request(
      `${url}${path}`,
      {
        agent: false,
        method: form ? 'POST' : 'GET',
        headers: form ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The pids of the workers, from their "worker N listening" lines. */
const workerPids = (out: string) =>
  [...out.matchAll(/^\{.*"pid":(\d+).*"msg":"worker \d+ listening at /gm)].map((m) => Number(m[1]));
/** The pids that logged a request to `url`. */
const servedBy = (out: string, url: string) =>
  new Set(
    out
      .split('\n')
      .filter((l) => l.includes('"msg":"incoming request"') && l.includes(`"url":"${url}"`))
      .map((l) => (JSON.parse(l) as { pid: number }).pid),
  );

/**
 * `tessera serve --workers 2` on an SQLite file without Redis: the workers
 * share the primary's attack-protection counters, and every worker re-reads
 * the signing keys; SIGTERM drains them all.
 */
describe('tessera serve --workers 2, no Redis (e2e)', { timeout: 180_000 }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let url: string;
  let child: ChildProcess;
  let out = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-workers-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      TESSERA_SECRET: 'workers-secret-workers-secret-0123456789',
      TESSERA_ISSUER: 'https://auth.acme.test/',
      TESSERA_DATA_DIR: join(dir, 'data'),
      // The burst below queues a dozen hashes on a loaded machine: not an overload here.
      TESSERA_ADMISSION_BUDGET_MS: '20000',
      TESSERA_LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      UV_THREADPOOL_SIZE: '2',
    };
    delete env.TESSERA_REDIS_URL;
    writeFileSync(join(dir, 'tenant.yaml'), TENANT);
    const applied = await runTessera(['apply', join(dir, 'tenant.yaml')], env);
    assert.equal(applied.code, 0, applied.stderr);
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--workers', '2'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (d: Buffer) => {
      out += d.toString();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    for (let i = 0; !/"msg":"Server listening at /.test(out); i++) {
      if (child.exitCode !== null || i > 600) throw new Error(`serve did not start: ${out}`);
      await sleep(100);
    }
    // A worker's own line may reach the pipe just after the primary's.
    for (let i = 0; i < 100 && workerPids(out).length < 2; i++) await sleep(50);
    assert.equal(workerPids(out).length, 2, out);
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of workerPids(out)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const login = (username: string, password: string) =>
    send(url, '/oauth/token', {
      grant_type: 'password',
      username,
      password,
      client_id: 'app',
      client_secret: SECRET,
      scope: 'openid',
    });

  it('blocks exactly at the threshold with the guesses spread over both workers', async () => {
    const before = servedBy(out, '/oauth/token').size;
    for (let i = 0; i < 10; i++) {
      const res = await login('alice@acme.test', `wrong guess ${i}`);
      assert.deepEqual(res, { status: 403, body: WRONG_BODY }, `guess ${i + 1}`);
    }
    for (let i = 0; i < 2; i++) {
      const res = await login('alice@acme.test', PASSWORD);
      assert.deepEqual(res, { status: 429, body: BRUTE_FORCE_BODY }, `after the block, try ${i + 1}`);
    }
    await sleep(200); // the request logs
    assert.equal(before, 0);
    assert.deepEqual(
      [...servedBy(out, '/oauth/token')].sort(),
      workerPids(out).sort(),
      'both workers answered guesses',
    );
  });

  it('counts concurrent guesses on both workers exactly: 10 wrong passwords, then blocks', async () => {
    const answers = await Promise.all(
      Array.from({ length: 14 }, (_, i) => login('bob@acme.test', `concurrent guess ${i}`)),
    );
    const wrong = answers.filter((a) => a.status === 403);
    const blocked = answers.filter((a) => a.status === 429);
    assert.equal(wrong.length, 10, JSON.stringify(answers));
    assert.equal(blocked.length, 4, JSON.stringify(answers));
    for (const a of wrong) assert.deepEqual(a.body, WRONG_BODY);
    for (const a of blocked) assert.deepEqual(a.body, BRUTE_FORCE_BODY);
    // Carol, untouched, logs in on either worker.
    for (let i = 0; i < 2; i++) assert.equal((await login('carol@acme.test', PASSWORD)).status, 200);
  });

  it(`publishes and signs with a rotated key on both workers within ${KEYS_RELOAD_MS / 1000} s`, async () => {
    const rotated = await runTessera(['keys', 'rotate', '--delay', '0'], env);
    const done = Date.now();
    assert.equal(rotated.code, 0, rotated.stderr);
    const kid = /^new key (\S+):/.exec(rotated.stdout)?.[1];
    assert.ok(kid, rotated.stdout);
    const machineKid = async () => {
      const res = await send(url, '/oauth/token', {
        grant_type: 'client_credentials',
        client_id: 'app',
        client_secret: SECRET,
        audience: AUDIENCE,
      });
      return decodeProtectedHeader((res.body as { access_token: string }).access_token).kid;
    };
    // Seen by both: four answers in a row, on new connections (two per worker), carry it.
    let streak = 0;
    while (streak < 4) {
      const jwks = (await send(url, '/.well-known/jwks.json')).body as { keys: { kid: string }[] };
      const seen = jwks.keys.some((k) => k.kid === kid) && (await machineKid()) === kid;
      streak = seen ? streak + 1 : 0;
      assert.ok(
        Date.now() - done <= KEYS_RELOAD_MS + SLACK_MS,
        `not on both workers after ${Date.now() - done} ms`,
      );
      if (!seen) await sleep(100);
    }
  });

  it('starts a worker that died again; the counts held by the primary survive it', async () => {
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await login('dave@acme.test', `before ${i}`), { status: 403, body: WRONG_BODY });
    const [first] = workerPids(out);
    process.kill(first!, 'SIGKILL');
    for (let i = 0; workerPids(out).length < 3; i++) {
      assert.ok(i < 300, `no new worker: ${out}`);
      await sleep(100);
    }
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await login('dave@acme.test', `after ${i}`), { status: 403, body: WRONG_BODY });
    assert.deepEqual(await login('dave@acme.test', PASSWORD), { status: 429, body: BRUTE_FORCE_BODY });
    assert.equal((await login('carol@acme.test', PASSWORD)).status, 200);
  });

  it('SIGTERM drains both workers: requests in flight finish, then every process exits 0', async () => {
    const pids = workerPids(out).slice(1);
    const inFlight = Array.from({ length: 4 }, () => login('carol@acme.test', PASSWORD));
    await sleep(30);
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    // Each was accepted before the close: answered, never cut off (a 503 is the shutting-down answer).
    for (const a of answers) assert.ok(a.status === 200 || a.status === 503, JSON.stringify(a));
    assert.ok(
      answers.some((a) => a.status === 200),
      JSON.stringify(answers),
    );
    assert.equal(await exited, 0);
    await sleep(200);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `worker ${pid} still runs`);
    assert.equal(
      out.match(/"signal":"SIGTERM","msg":"shutting down"/g)?.length,
      3,
      'the primary and both workers',
    );
  });
});
