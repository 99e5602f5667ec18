import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { LoopRuns } from '../../src/rules/loop-runs.js';

describe('LoopRuns: which script versions start on the event loop', () => {
  it('all of them, unless the slice is 0', () => {
    const runs = new LoopRuns();
    assert.equal(runs.allows('a', 5), true);
    assert.equal(runs.allows('a', 0), false);
  });

  it('a version moved off stays off for its time, then tries the loop again; others are not affected', async () => {
    const runs = new LoopRuns(40);
    runs.moveOff('a');
    assert.equal(runs.allows('a', 5), false);
    assert.equal(runs.allows('b', 5), true);
    await sleep(80);
    assert.equal(runs.allows('a', 5), true);
  });
});
