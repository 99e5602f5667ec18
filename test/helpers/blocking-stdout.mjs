// Preloaded into every test file's process (package.json "test").
//
// With --test-force-exit, Node's test runner exits a test file's process as
// soon as its last test ends. The results go to the runner over the
// process's stdout, a pipe, whose writes are asynchronous on Linux, so the
// last ones could be lost: the run then reported fewer tests than ran, with
// no failure (nodejs/node#64833; seen here: 1571 tests reported where 1583
// ran). Blocking writes reach the pipe before the process exits.
if (process.stdout._handle && typeof process.stdout._handle.setBlocking === 'function') {
  process.stdout._handle.setBlocking(true);
}
