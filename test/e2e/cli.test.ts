import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/bin.ts'];

/** Starts `tessera <args>` and resolves with the URL it prints once it listens. */
function start(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Tessera is listening on (\S+)/.exec(out);
      if (m && out.includes('Log the demo user in')) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, out: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${out}`));
    });
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Runs the curl command `tessera dev` printed, as a fetch. */
async function runPrintedCurl(out: string, url: string): Promise<Response> {
  const curl = out.slice(out.indexOf('curl -s'));
  const form = new URLSearchParams();
  for (const m of curl.matchAll(/-d (\S+?)=(\S+)/g)) form.append(m[1]!, m[2]!);
  return fetch(`${url}/oauth/token`, { method: 'POST', body: form });
}

describe('the tessera CLI, end to end', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
    env = {
      ...process.env,
      TESSERA_DATA_DIR: dir,
      HOST: '127.0.0.1',
      PORT: '0',
      TESSERA_ISSUER: 'http://127.0.0.1/',
      TESSERA_LOG_LEVEL: 'warn',
      TESSERA_SECRET: '',
      TESSERA_DATABASE_URL: '',
    };
    delete env.TESSERA_SECRET;
    delete env.TESSERA_DATABASE_URL;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('dev: generates a secret, applies the demo tenant, logs the printed curl in, stops on SIGTERM', async () => {
    const { child, url, out } = await start(['dev'], env);
    try {
      assert.match(out(), /generated a development secret/);
      assert.ok(readFileSync(join(dir, 'secret'), 'utf8').length >= 32);
      const res = await runPrintedCurl(out(), url);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, string>;
      assert.ok(body.access_token && body.id_token);
      assert.equal(res.headers.get('cache-control'), 'no-store');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exitCode(child), 0);
  });

  it('dev again: keeps the database and keys, does not re-apply the demo tenant; without HOST, loopback only', async () => {
    const { HOST: _host, ...noHost } = env;
    const { child, url, out } = await start(['dev'], noHost);
    try {
      assert.doesNotMatch(out(), /generated a development secret/);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(out(), /It is bound to 127\.0\.0\.1 only: reachable from this machine alone/);
      assert.equal((await runPrintedCurl(out(), url)).status, 200);
      // The demo tenant's rule asks Carol (app_metadata.mfa) for a second factor.
      const carol = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          username: 'carol@acme.test',
          password: 'Carol-demo-passw0rd',
          client_id: 'acme-web',
          client_secret: 'demo-acme-web-secret-not-for-production',
        }),
      });
      assert.equal(carol.status, 403);
      const body = (await carol.json()) as { error: string; mfa_requirements: unknown };
      assert.equal(body.error, 'mfa_required');
      assert.deepEqual(body.mfa_requirements, { enroll: [{ type: 'otp' }, { type: 'email' }] });
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exitCode(child), 0);
  });

  it('logs: prints the logins', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'logs', '--type', 'sepft'], { env });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(
      lines[0]!,
      /sepft +alice@acme\.test +client=acme-web connection=Username-Password-Authentication ip=127\.0\.0\.1/,
    );
  });

  it('purge: deletes nothing recent and prints what it deleted, by kind', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'purge'], { env });
    assert.match(stdout, /^audit events: 0 deleted$/m);
    assert.match(stdout, /^revoked refresh tokens: 0 deleted$/m);
    assert.match(stdout, /^outbox messages: 0 deleted$/m);
    const { stdout: logs } = await run(process.execPath, [...CLI, 'logs', '--type', 'sepft'], { env });
    assert.equal(logs.trim().split('\n').length, 2);
  });

  it('outbox: prints the messages, kept encrypted with the server secret', async () => {
    const { loadConfig } = await import('../../src/config/config.js');
    const { createNotifier } = await import('../../src/notify/index.js');
    const { openStore } = await import('../../src/store/db.js');
    const secret = readFileSync(join(dir, 'secret'), 'utf8').trim();
    const store = openStore(join(dir, 'tessera.db'));
    try {
      const n = createNotifier(loadConfig({ TESSERA_SECRET: secret }), store, Date.now);
      await n.sms.send({ channel: 'sms', to: '+15550100', text: 'Your code is 975310' });
      const raw = await store.db.selectFrom('outbox').select('body').execute();
      assert.ok(raw.length > 0 && raw.every((r) => !r.body.includes('975310')));
    } finally {
      await store.close();
    }
    const { stdout } = await run(process.execPath, [...CLI, 'outbox', '--to', '+15550100'], { env });
    assert.match(stdout, /sms to \+15550100\n {4}Your code is 975310\n/);
  });

  it('export, then apply: nothing changes; a bad file names the path', async () => {
    const secretEnv = { ...env, CLIENT_SECRET_ACME_WEB: 'demo-acme-web-secret-not-for-production' };
    const { stdout: yaml } = await run(process.execPath, [...CLI, 'export'], { env });
    assert.ok(!yaml.includes('demo-acme-web-secret'));
    assert.ok(!yaml.includes('passw0rd'));
    assert.match(yaml, /^# A fresh database needs these variables set:\n# {3}CLIENT_SECRET_ACME_WEB\n/m);
    const file = join(dir, 'exported.yaml');
    writeFileSync(file, yaml);
    const { stdout } = await run(process.execPath, [...CLI, 'apply', file], { env: secretEnv });
    assert.doesNotMatch(stdout, /created|updated|deleted/);
    // Back to the database it came from, without the variable: the stored secret stays.
    const again = await run(process.execPath, [...CLI, 'apply', file], { env });
    assert.match(
      again.stdout,
      /^kept the stored secret of client acme-web \(CLIENT_SECRET_ACME_WEB is not set\)$/m,
    );
    assert.doesNotMatch(again.stdout, /created|updated|deleted/);
    // A fresh database has no secret to keep: the variable is named.
    const fresh = { ...env, TESSERA_DATABASE_URL: `sqlite:${join(dir, 'fresh', 'tessera.db')}` };
    const none = await run(process.execPath, [...CLI, 'apply', file], { env: fresh }).catch((e) => e);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /clients\[0\]\.client_secret: environment variable CLIENT_SECRET_ACME_WEB is not set, and the database holds no secret for client acme-web to keep: set CLIENT_SECRET_ACME_WEB/,
    );
    writeFileSync(file, yaml.replace('- password\n', '- pasword\n'));
    const bad = await run(process.execPath, [...CLI, 'apply', file], { env: secretEnv }).catch((e) => e);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /clients\[0\]\.grant_types\[0\]: unknown grant type "pasword"/);
  });

  it('keys rotate, then keys list: a new active key, the old one retired but published', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'keys', 'rotate', '--delay', '0'], { env });
    assert.match(stdout, /^new key \S+: in every server's JWKS within 5 s, signs from /);
    assert.match(stdout, /retiring \S+ then; published until /);
    const list = (await run(process.execPath, [...CLI, 'keys', 'list'], { env })).stdout.trim().split('\n');
    assert.equal(list.length, 2);
    assert.match(list[0]!, / retired /);
    assert.match(list[1]!, / active /);
    const bad = await run(process.execPath, [...CLI, 'keys', 'rotate', '--delay', 'soon'], { env }).catch(
      (e) => e,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--delay must be a whole number of seconds/);
  });

  it('serve: refuses to start without TESSERA_SECRET', async () => {
    const res = await run(process.execPath, [...CLI, 'serve'], { env }).catch((e) => e);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /TESSERA_SECRET is not set/);
  });

  it('a TESSERA_DATABASE_URL in no documented form is refused and creates nothing', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tessera-badurl-'));
    try {
      for (const url of ['nonsense', 'mysql://root@db/x']) {
        const res = await run(
          process.execPath,
          [
            join(process.cwd(), 'node_modules/tsx/dist/cli.mjs'),
            join(process.cwd(), 'src/cli/bin.ts'),
            'migrate',
          ],
          {
            env: { ...env, TESSERA_DATABASE_URL: url },
            cwd,
          },
        ).catch((e) => e);
        assert.equal(res.code, 1);
        assert.match(res.stderr, /TESSERA_DATABASE_URL ".*" is .*; use postgres:\/\//);
      }
      assert.deepEqual(readdirSync(cwd), []);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('mistakes are named: a log level, an event code, a missing file, an unreachable PostgreSQL', async () => {
    const fail = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const r = await run(process.execPath, [...CLI, ...args], { env: { ...env, ...extra } }).catch((e) => e);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      return r.stderr as string;
    };
    assert.match(
      await fail(['logs'], { TESSERA_LOG_LEVEL: 'loud' }),
      /^tessera: TESSERA_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"\n$/,
    );
    assert.match(
      await fail(['logs', '-t', 'bogus']),
      /^tessera: --type must be an event code Tessera records \(f, sepft, fepft, fp, fu, .*\), got "bogus"\n$/,
    );
    assert.match(
      await fail(['apply', join(dir, 'no-such.yaml')]),
      /^tessera: cannot read the tenant file .*no-such\.yaml: no such file\n$/,
    );
    assert.match(
      await fail(['users', 'import', join(dir, 'no-such.json'), '--connection', 'customers']),
      /^tessera: cannot read the users file .*no-such\.json: no such file\n$/,
    );
    const pg = await fail(['migrate'], { TESSERA_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/tessera' });
    assert.match(
      pg,
      /^tessera: cannot connect to the database at postgres:\/\/postgres@127\.0\.0\.1:1\/tessera \(TESSERA_DATABASE_URL\): .*ECONNREFUSED/,
    );
    assert.doesNotMatch(pg, /migration {2}failed/);
  });

  it('migrate: reports an up-to-date schema', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'migrate'], { env });
    assert.equal(stdout.trim(), 'database schema is up to date');
  });
});

describe('the dev banner says what it binds', () => {
  it('loopback, every interface, or one address', async () => {
    const { bindingNote } = await import('../../src/cli/demo.js');
    assert.match(bindingNote('127.0.0.1'), /^bound to 127\.0\.0\.1 only/);
    assert.match(bindingNote('::1'), /^bound to ::1 only/);
    assert.equal(
      bindingNote('0.0.0.0'),
      "bound to every interface (0.0.0.0): other machines can reach it, and the demo tenant's secrets are public",
    );
    assert.match(bindingNote('192.0.2.10'), /^bound to 192\.0\.2\.10: other machines can reach it/);
  });
});
