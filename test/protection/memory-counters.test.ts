import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { ATTEMPTS_WINDOW_S, memoryCounters } from '../../src/protection/counters.js';

describe("attack protection's brute-force counters in memory", () => {
  afterEach(() => mock.timers.reset());

  it('counts attempts per key, takes one back on refund, forgets them on reset', async () => {
    const c = memoryCounters();
    assert.equal(await c.attempt('a'), 1);
    assert.equal(await c.attempt('a'), 2);
    assert.equal(await c.attempt('b'), 1);
    await c.refund('a');
    assert.equal(await c.attempt('a'), 2);
    await c.reset('a');
    assert.equal(await c.attempt('a'), 1);
    assert.equal(await c.attempt('b'), 2);
    await c.reset('never-counted');
  });

  it('a refund of a key never counted leaves it one below zero, as rate-limiter-flexible did', async () => {
    const c = memoryCounters();
    await c.refund('r');
    assert.equal(await c.attempt('r'), 0);
    assert.equal(await c.attempt('r'), 1);
  });

  it('forgets the attempts of a key once its window (from its first attempt) is over', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const c = memoryCounters();
    assert.equal(await c.attempt('w'), 1);
    mock.timers.tick(ATTEMPTS_WINDOW_S * 1000 - 1);
    assert.equal(await c.attempt('w'), 2);
    mock.timers.tick(1);
    assert.equal(await c.attempt('w'), 1);
  });
});
