import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { hashToken } from '../../src/tokens/refresh-tokens.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const FAMILIES = 24;
const ROUNDS = 3;
const LOAD_MS = 1_000;
const SECRET = 'durability-client-secret-0123456789';

const TENANT = `
tenant: { default_directory: Username-Password-Authentication, default_audience: https://api.acme.test/orders }
connections:
  - name: Username-Password-Authentication
    strategy: auth0
    enabled_clients: [app]
resourceServers:
  - name: Orders API
    identifier: https://api.acme.test/orders
    scopes: [{ value: read:orders }]
    allow_offline_access: true
clients:
  - name: App
    client_id: app
    client_secret: ${SECRET}
    token_endpoint_auth_method: client_secret_post
    grant_types: [password, refresh_token]
    refresh_token: { rotation_type: rotating, expiration_type: expiring, leeway: 0 }
users:
  - connection: Username-Password-Authentication
    email: alice@acme.test
    password: Alice-durable-passw0rd
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * `kill -9` a real server (SQLite file) while many clients rotate their
 * refresh tokens, restart it on the same database, and let every client
 * retry with the last token it holds: the one it saw acknowledged, or the
 * one whose answer the crash swallowed. No family may be revoked.
 */
describe('refresh tokens survive kill -9 under load (e2e, SQLite file)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let url: string;
  let server: ChildProcess | undefined;

  async function start(): Promise<ChildProcess> {
    // UV_THREADPOOL_SIZE set: the CLI runs in this very process (no re-exec), so SIGKILL hits the server.
    const child = spawn(process.execPath, [...CLI, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${err}`);
      try {
        if ((await fetch(`${url}/.well-known/jwks.json`)).ok) return child;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`serve did not answer in 30 s: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const token = (form: Record<string, string>) =>
    fetch(`${url}/oauth/token`, { method: 'POST', body: new URLSearchParams(form) });
  const refresh = (refresh_token: string) =>
    token({ grant_type: 'refresh_token', client_id: 'app', client_secret: SECRET, refresh_token });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-durability-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      TESSERA_SECRET: 'durability-secret-durability-secret-0123',
      TESSERA_ISSUER: `${url}/`,
      HOST: '127.0.0.1',
      PORT: String(port),
      TESSERA_LOG_LEVEL: 'warn',
      UV_THREADPOOL_SIZE: '4',
    };
    writeFileSync(join(dir, 'tenant.yaml'), TENANT);
    await run(process.execPath, [...CLI, 'apply', join(dir, 'tenant.yaml')], { env });
  });
  after(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('0 families revoked without a real reuse', async (t) => {
    server = await start();
    const held: string[] = [];
    for (let i = 0; i < FAMILIES; i++) {
      const res = await token({
        grant_type: 'password',
        username: 'alice@acme.test',
        password: 'Alice-durable-passw0rd',
        client_id: 'app',
        client_secret: SECRET,
        scope: 'offline_access read:orders',
      });
      assert.equal(res.status, 200, await res.clone().text());
      held.push(((await res.json()) as { refresh_token: string }).refresh_token);
    }

    // Each round: every client rotates its token as fast as it can, one request at a time,
    // until kill -9; then the server restarts on the same database and every client retries
    // with the token it holds (and the next round goes on from the answers).
    let rotations = 0;
    let lost = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let crashed = false;
      const clients = held.map(async (_, i) => {
        while (!crashed) {
          try {
            const res = await refresh(held[i]!);
            const body = (await res.json()) as { refresh_token?: string };
            assert.equal(res.status, 200, JSON.stringify(body));
            held[i] = body.refresh_token!;
            rotations++;
          } catch (err) {
            if (crashed) return; // the answer was lost: keep the token we sent
            throw err;
          }
        }
      });
      await new Promise((r) => setTimeout(r, LOAD_MS));
      crashed = true;
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGKILL');
      await exited;
      await Promise.all(clients);

      // How many clients hold a token the server had already rotated (its answer was lost).
      const db = new SQLite(join(dir, 'tessera.db'), { readonly: true });
      const rotatedAt = db.prepare('SELECT rotated_at FROM refresh_tokens WHERE token_hash = ?');
      lost += held.filter(
        (tk) => (rotatedAt.get(hashToken(tk)) as { rotated_at: number | null }).rotated_at !== null,
      ).length;
      db.close();

      server = await start();
      const statuses = await Promise.all(
        held.map(async (tk, i) => {
          const retry = await refresh(tk);
          if (retry.status === 200)
            held[i] = ((await retry.json()) as { refresh_token: string }).refresh_token;
          return retry.status;
        }),
      );
      assert.deepEqual(statuses, Array(FAMILIES).fill(200), `round ${round}: every family is alive`);
    }
    t.diagnostic(`${rotations} rotations; ${lost} answer(s) lost in ${ROUNDS} crashes, retried safely`);
    assert.ok(rotations > ROUNDS * FAMILIES, `only ${rotations} rotations under load`);
    const check = new SQLite(join(dir, 'tessera.db'), { readonly: true });
    const revoked = check
      .prepare('SELECT COUNT(DISTINCT family_id) AS n FROM refresh_tokens WHERE revoked_at IS NOT NULL')
      .get() as { n: number };
    check.close();
    assert.equal(revoked.n, 0, 'no family was revoked');
  });
});
