import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Sizes libuv's thread pool (where argon2 and WebCrypto RSA signing run) to
 * the core count. Import this module first.
 *
 * Setting `process.env.UV_THREADPOOL_SIZE` here is too late on its own: the
 * ESM loader (and tsx) read files through the pool, so libuv has already
 * started it with the default 4 threads before any module body runs (checked
 * on Node 20: 4 argon2 hashes with the variable set in-process still ran 2
 * at a time). So when the variable is not in the environment, this module
 * runs the same command again in a child process with it set, and exits with
 * the child's status before the benchmark's own modules evaluate. An explicit
 * UV_THREADPOOL_SIZE in the environment is kept, for experiments.
 */
if (!process.env.UV_THREADPOOL_SIZE) {
  const size = String(availableParallelism());
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: size },
  });
  if (child.error) throw child.error;
  process.exit(child.status ?? 1);
}

export const THREADPOOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE);
