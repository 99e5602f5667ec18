import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULTS } from '../../src/config/defaults.js';
import { Sandbox } from '../../src/rules/isolate.js';
import { IsolateSlot } from '../../src/rules/slot.js';
import { DEFAULT_RULES_LIMITS } from '../../src/rules/types.js';

/** Spins the event loop's thread for `ms` (so the isolate's thread works meanwhile). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

/**
 * The contexts an isolate makes ahead are entered once from the event loop
 * (slot.ts enterOnce), with a sync call. A sync call waits for whatever runs
 * on the isolate's thread: made while a script ran there, it held the event
 * loop for as long as the script ran (a hostile one: up to its time limit,
 * and with it the timers that stop it).
 */
describe('rules sandbox: an isolate slot', () => {
  const slot = new IsolateSlot(32);
  after(() => slot.dispose());

  it("never holds the event loop while a script runs on the isolate's thread", async () => {
    await slot.prime();
    const first = await slot.take();
    const busy = await slot.compile('const end = Date.now() + 400; while (Date.now() < end) {}');
    // Contexts made ahead: their first steps run while this thread is busy,
    // so their last steps (the boot run) are queued when the script is.
    slot.topUp(6);
    spin(60);
    await new Promise((resolve) => setImmediate(resolve));
    let last = performance.now();
    let held = 0;
    const watch = setInterval(() => {
      const now = performance.now();
      held = Math.max(held, now - last);
      last = now;
    }, 5);
    try {
      await slot.onItsThread(() => busy.run(first.context, { timeout: 5000 }));
      // The contexts were entered once the script was done: it is quiet again.
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      clearInterval(watch);
    }
    assert.ok(held < 200, `the event loop was held ${Math.round(held)} ms`);
    assert.equal(slot.quiet, true);
  });

  it("a login's scripts share one context, made ahead, never lent to another login", async () => {
    const sandbox = new Sandbox({ ...DEFAULT_RULES_LIMITS, isolates: 1, warmIsolates: 1 });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    try {
      const lease = await sandbox.lease(performance.now() + 5000);
      assert.ok(lease);
      const first = await lease.context();
      assert.equal(await lease.context(), first, "one context for all of the login's scripts");
      // A run that must be made again (loop-runs.ts) leaves its context half-run: a new one.
      const second = await lease.renewContext();
      assert.notEqual(second, first);
      sandbox.release(lease);
      await turn();
      await turn();
      for (const { drive } of [first, second]) {
        assert.throws(() => drive.applySync(undefined, ['ready']), 'released with its login');
      }
      assert.equal(lease.slot.madeAhead, DEFAULTS.rules.warmContexts, 'made ahead again');
      const next = await sandbox.lease(performance.now() + 5000);
      assert.ok(next);
      assert.equal(next.slot, lease.slot);
      const third = await next.context();
      assert.ok(third !== first && third !== second);
      sandbox.release(next);
    } finally {
      sandbox.dispose();
    }
  });
});
