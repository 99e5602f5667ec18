import { availableParallelism } from 'node:os';

// Imported first by the CLI: libuv sizes its thread pool on first use, and
// every argon2 hash runs there, so it gets one thread per core. An explicit
// UV_THREADPOOL_SIZE in the environment wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()));
