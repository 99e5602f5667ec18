import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { keepHelperThreadsLowered } from '../../src/cli/helper-threads.js';

/** Each thread of this process and its nice value. */
function niceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const task of readdirSync('/proc/self/task')) out.set(Number(task), getPriority(Number(task)));
  return out;
}

describe('helper threads run below the event loop', { skip: process.platform !== 'linux' }, () => {
  it('0 changes nothing', async () => {
    const before = niceness();
    const keeper = await keepHelperThreadsLowered(0, 20);
    keeper.stop();
    assert.equal(keeper.lowered, 0);
    assert.deepEqual(niceness(), before);
  });

  it("lowers every thread but the main one, the hash pool's included, by the given levels", async () => {
    // This test file runs in a process of its own (node --test), so nothing else is affected.
    const mainBefore = getPriority(process.pid);
    const first = await keepHelperThreadsLowered(3, 60_000);
    first.stop();
    const { lowered } = first;
    // The pool's threads exist now (started by the call): their priority before was the main thread's.
    const after = niceness();
    assert.equal(after.get(process.pid), mainBefore, 'the event loop keeps its priority');
    const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    assert.ok(lowered >= pool, `${lowered} threads lowered, fewer than the pool's ${pool}`);
    assert.equal(lowered, after.size - 1);
    for (const [tid, nice] of after) {
      if (tid !== process.pid) assert.equal(nice, Math.min(19, mainBefore + 3), `thread ${tid}`);
    }
    // Another keeper: relative to where each thread is, and never past 19.
    const again = await keepHelperThreadsLowered(19, 60_000);
    again.stop();
    assert.equal(again.lowered, lowered);
    for (const [tid, nice] of niceness()) if (tid !== process.pid) assert.equal(nice, 19, `thread ${tid}`);
  });

  it('kept lowered: a thread started later is lowered within the period, each thread once', async () => {
    // Its own process (node --test): the threads lowered above are at 19 already.
    const mainNice = getPriority(process.pid);
    const keeper = await keepHelperThreadsLowered(2, 20);
    const before = niceness();
    // A thread started now, at the main thread's priority, as isolated-vm's are.
    const worker = new Worker('setInterval(() => {}, 1000);', { eval: true });
    try {
      await new Promise((resolve) => worker.once('online', resolve));
      const started = [...niceness().keys()].filter((tid) => !before.has(tid));
      assert.ok(started.length > 0, 'the worker added threads');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const after = niceness();
      // Lowered once over the 5 periods: by 2, not by 10.
      for (const tid of started) {
        if (after.has(tid)) assert.equal(after.get(tid), Math.min(19, mainNice + 2), `new thread ${tid}`);
      }
      assert.equal(after.get(process.pid), mainNice, 'the event loop keeps its priority');
    } finally {
      keeper.stop();
      // Also when an assertion failed: a live worker would keep the test's process running.
      await worker.terminate();
    }
  });
});
