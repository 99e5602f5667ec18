import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** A redis-server of a test's own on a free port (never the shared one on 6379), which it may kill and start again. */
export interface RedisInstance {
  url: string;
  port: number;
  /** SIGKILLs the server. */
  kill(): Promise<void>;
  /** Starts it again on the same port (when not running). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedis(): Promise<RedisInstance> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child && child.exitCode === null) return;
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      if (await accepts(port)) return;
      await sleep(20);
    }
    throw new Error(`redis-server did not listen on ${port}`);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await gone;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, kill, start, close: kill };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
