import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO = resolve(import.meta.dirname, '../..');
const TSX = import.meta.resolve('tsx');

interface Running {
  /** The process spawned (npx, or the tessera shim). */
  top: ChildProcess;
  /** The server: the process that logged "Server listening". */
  serverPid: number;
  url: string;
  out: () => string;
}

/** Starts a command and waits for the server's "listening" log line (JSON, with its pid). */
function startServing(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const top = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`not listening after 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /^(\{.*"msg":"Server listening at (\S+?)".*\})$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ top, serverPid: JSON.parse(m[1]!).pid, url: m[2]!, out: () => out });
      }
    };
    top.stdout!.on('data', onData);
    top.stderr!.on('data', onData);
    top.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`exited with ${code}:\n${out}`));
    });
  });
}

/** Linux: a process's parent and state, or undefined once it is gone (a zombie counts as gone). */
function proc(pid: number): { ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? undefined : { ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (let t = 0; t < withinMs; t += 50) {
    if (!proc(pid)) return true;
    await sleep(50);
  }
  return false;
}

const exited = (c: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    if (c.exitCode !== null || c.signalCode !== null) res({ code: c.exitCode, signal: c.signalCode });
    else c.once('exit', (code, signal) => res({ code, signal }));
  });

describe('signals reach the server, however it was started', { timeout: 240_000 }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const leftovers: number[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-signals-'));
    env = {
      ...process.env,
      TESSERA_SECRET: 'signals-test-secret-0123456789-abcdefghij',
      TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
      TESSERA_DATA_DIR: join(dir, 'data'),
      TESSERA_ISSUER: 'http://127.0.0.1/',
      TESSERA_LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
    };
    delete env.UV_THREADPOOL_SIZE;
    // A project with tessera installed, as npx finds it: node_modules/.bin/tessera.
    mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"signals-test","version":"1.0.0","private":true}\n');
    const bin = join(dir, 'node_modules/.bin/tessera');
    writeFileSync(
      bin,
      `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${join(REPO, 'src/cli/bin.ts')}" "$@"\n`,
    );
    chmodSync(bin, 0o755);
  });
  after(() => {
    for (const pid of leftovers) if (proc(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('npx tessera serve: a SIGTERM to npx shuts the server down gracefully, leaving no process behind', async () => {
    const r = await startServing('npx', ['--no', 'tessera', 'serve'], dir, env);
    const shimPid = proc(r.serverPid)!.ppid;
    leftovers.push(r.serverPid, shimPid);
    assert.ok((await fetch(`${r.url}/.well-known/jwks.json`)).ok);
    r.top.kill('SIGTERM');
    await exited(r.top);
    assert.ok(await gone(r.serverPid, 5_000), `the server ${r.serverPid} still runs`);
    assert.ok(await gone(shimPid, 5_000), `the shim ${shimPid} still runs`);
    assert.match(r.out(), /"signal":"SIGTERM".*"msg":"shutting down"/);
    await assert.rejects(fetch(`${r.url}/.well-known/jwks.json`));
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`the tessera shim passes ${signal} to the server and exits with its code`, async () => {
      const r = await startServing(join(dir, 'node_modules/.bin/tessera'), ['serve'], dir, env);
      leftovers.push(r.serverPid);
      assert.equal(proc(r.serverPid)!.ppid, r.top.pid);
      r.top.kill(signal);
      assert.deepEqual(await exited(r.top), { code: 0, signal: null });
      assert.ok(await gone(r.serverPid, 5_000));
      assert.match(r.out(), new RegExp(`"signal":"${signal}".*"msg":"shutting down"`));
    });
  }

  it('--workers 1 is one process: the shim passes SIGTERM to it, and it exits 0', async () => {
    const r = await startServing(
      join(dir, 'node_modules/.bin/tessera'),
      ['serve', '--workers', '1'],
      dir,
      env,
    );
    leftovers.push(r.serverPid);
    assert.equal(proc(r.serverPid)!.ppid, r.top.pid);
    assert.doesNotMatch(r.out(), /"msg":"worker \d+ listening/);
    assert.ok((await fetch(`${r.url}/.well-known/jwks.json`)).ok);
    r.top.kill('SIGTERM');
    assert.deepEqual(await exited(r.top), { code: 0, signal: null });
    assert.ok(await gone(r.serverPid, 5_000));
    assert.equal(r.out().match(/"msg":"shutting down"/g)?.length, 1);
  });

  it('--workers 2: the shim passes SIGTERM to the primary, which drains both workers', async () => {
    const r = await startServing(
      join(dir, 'node_modules/.bin/tessera'),
      ['serve', '--workers', '2'],
      dir,
      env,
    );
    leftovers.push(r.serverPid);
    const workerLines = () => [...r.out().matchAll(/^\{.*"pid":(\d+).*"msg":"worker \d+ listening at /gm)];
    // A worker's own line may reach the pipe just after the primary's.
    for (let i = 0; i < 100 && workerLines().length < 2; i++) await sleep(50);
    const workers = workerLines().map((m) => Number(m[1]));
    leftovers.push(...workers);
    assert.equal(workers.length, 2);
    for (const w of workers) assert.equal(proc(w)!.ppid, r.serverPid);
    r.top.kill('SIGTERM');
    assert.deepEqual(await exited(r.top), { code: 0, signal: null });
    for (const pid of [r.serverPid, ...workers]) assert.ok(await gone(pid, 5_000), `${pid} still runs`);
    assert.equal(r.out().match(/"signal":"SIGTERM","msg":"shutting down"/g)?.length, 3);
  });

  it('outside npm, a parent that leaves (nohup tessera serve &) leaves the server running', async () => {
    const log = join(dir, 'background.log');
    const bgEnv = { ...env };
    for (const k of Object.keys(bgEnv)) if (k.startsWith('npm_')) delete bgEnv[k];
    const sh = spawn(
      'sh',
      [
        '-c',
        `"${join(dir, 'node_modules/.bin/tessera')}" serve >"${log}" 2>&1 & while [ ! -e "${log}.leave" ]; do sleep 0.1; done`,
      ],
      {
        env: bgEnv,
        stdio: 'ignore',
      },
    );
    let m: RegExpExecArray | null = null;
    for (let i = 0; i < 600 && !m; i++) {
      await sleep(50);
      m = /^(\{.*"msg":"Server listening at (\S+?)".*\})$/m.exec(readFileSync(log, 'utf8'));
    }
    assert.ok(m, readFileSync(log, 'utf8'));
    const serverPid = JSON.parse(m[1]!).pid as number;
    const shimPid = proc(serverPid)!.ppid;
    leftovers.push(serverPid, shimPid);
    assert.equal(proc(shimPid)!.ppid, sh.pid);
    // The shell leaves while the server runs.
    writeFileSync(`${log}.leave`, '');
    await exited(sh);
    await sleep(500);
    assert.ok(proc(serverPid), 'the server stopped when its parent left');
    assert.ok((await fetch(`${m[2]}/.well-known/jwks.json`)).ok);
    process.kill(shimPid, 'SIGTERM');
    assert.ok(await gone(serverPid, 5_000));
    assert.ok(await gone(shimPid, 5_000));
  });

  it('the tessera shim ends as the server did: killed by SIGKILL, it reports SIGKILL', async () => {
    const r = await startServing(join(dir, 'node_modules/.bin/tessera'), ['serve'], dir, env);
    leftovers.push(r.serverPid);
    process.kill(r.serverPid, 'SIGKILL');
    assert.deepEqual(await exited(r.top), { code: null, signal: 'SIGKILL' });
  });
});
