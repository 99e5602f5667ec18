#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/*
 * The `tessera` executable. Every argon2 hash runs on libuv's thread pool,
 * which should have one thread per core; but the pool is started with its
 * default size while modules load, before any of our code could set
 * UV_THREADPOOL_SIZE. So, when the variable is not set, this shim runs the
 * CLI again in a child process with it set, and stands in for it: signals
 * reach the child (SIGTERM shuts the server down gracefully) and the shim
 * ends as the child did (its exit code, or the same signal).
 * Only Node built-ins are imported here, so nothing else loads twice.
 */
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

if (process.env.UV_THREADPOOL_SIZE) {
  await import('./main.js');
} else {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(2, availableParallelism())) },
  });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of SIGNALS) process.on(signal, () => forward(signal));
  // `npx tessera` (and `npm run`) runs this under `sh -c`, and npm passes a
  // SIGTERM to that shell only, which dies without passing it on: this process
  // would live on, orphaned, with the server. Under npm, a parent gone is a
  // SIGTERM. (Elsewhere a parent may rightly leave: `nohup tessera serve &`.)
  const parent = process.ppid;
  const orphaned = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(orphaned);
    forward('SIGTERM');
  }, 100);
  if (!process.env.npm_lifecycle_event) clearInterval(orphaned);
  child.on('exit', (code, signal) => {
    clearInterval(orphaned);
    if (signal) {
      for (const s of SIGNALS) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}
