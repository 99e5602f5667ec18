#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/*
 * The `tessera` executable. Every argon2 hash runs on libuv's thread pool,
 * which should have one thread per core; but the pool is started with its
 * default size while modules load, before any of our code could set
 * UV_THREADPOOL_SIZE. So, when the variable is not set, this shim runs the
 * CLI again in a child process with it set, forwarding signals (SIGTERM
 * reaches the server and shuts it down gracefully) and its exit status.
 * Only Node built-ins are imported here, so nothing else loads twice.
 */
if (process.env.UV_THREADPOOL_SIZE) {
  await import('./main.js');
} else {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(2, availableParallelism())) },
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}
