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

  it('an isolate makes ahead a context for each script of the last login, within warmContextsMax', async () => {
    const sandbox = new Sandbox({ ...DEFAULT_RULES_LIMITS, isolates: 1, warmIsolates: 1 });
    try {
      const made = async (scripts: number) => {
        sandbox.noteScripts(scripts);
        const lease = await sandbox.lease(performance.now() + 5000);
        assert.ok(lease);
        sandbox.release(lease);
        await new Promise((resolve) => setImmediate(resolve));
        return lease.slot.madeAhead;
      };
      assert.equal(await made(10), 10);
      assert.equal(await made(1), 10, 'what is made stays made');
      assert.equal(await made(40), DEFAULTS.rules.warmContextsMax);
    } finally {
      sandbox.dispose();
    }
  });
});
