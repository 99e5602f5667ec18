import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Turns } from '../../src/protection/turns.js';

const LONG = 60_000;

describe('turns: FIFO hand-off of a counter limit on this node', () => {
  it('wakes waiters in arrival order, one per freed slot', async () => {
    const turns = new Turns();
    assert.equal(turns.busy('u'), false);
    const order: number[] = [];
    const waiters = [0, 1, 2].map((i) => {
      const t = turns.join('u');
      return t.wait(LONG).then((woken) => {
        order.push(i);
        assert.equal(woken, true);
        t.leave(true);
      });
    });
    assert.equal(turns.busy('u'), true);
    assert.equal(turns.size('u'), 3);
    turns.release('u');
    await waiters[0];
    assert.deepEqual(order, [0]);
    turns.release('u');
    turns.release('u');
    await Promise.all(waiters);
    assert.deepEqual(order, [0, 1, 2]);
    assert.equal(turns.busy('u'), false, 'the queue is gone with its last waiter');
  });

  it('a newcomer joins behind the waiters; only the head is first', () => {
    const turns = new Turns();
    const a = turns.join('u');
    const b = turns.join('u');
    assert.equal(a.isHead, true);
    assert.equal(b.isHead, false);
    a.leave(true);
    assert.equal(b.isHead, true);
    const c = turns.join('u');
    assert.equal(c.isHead, false);
    turns.release('u');
    assert.equal(b.woken, true);
    assert.equal(c.woken, false);
    b.leave(true);
    c.leave(true);
  });

  it('a woken waiter that leaves without a slot passes the turn to the next', async () => {
    const turns = new Turns();
    const a = turns.join('u');
    const b = turns.join('u');
    const c = turns.join('u');
    turns.release('u');
    assert.equal(await a.wait(LONG), true);
    a.leave(false); // refused, client gone, an error: the freed slot is b's
    assert.equal(await b.wait(LONG), true);
    assert.equal(c.woken, false);
    b.leave(true); // served: the slot was taken, c waits for the next
    assert.equal(c.woken, false);
    c.leave(false);
    assert.equal(turns.busy('u'), false);
  });

  it('a waiter not woken leaves quietly; a missed try waits for the next wake', async () => {
    const turns = new Turns();
    const a = turns.join('u');
    const b = turns.join('u');
    b.leave(false);
    assert.equal(turns.size('u'), 1);
    turns.release('u');
    assert.equal(await a.wait(LONG), true);
    a.missed(); // the slot was taken by another node
    assert.equal(await a.wait(1), false, 'the fallback poll ends the wait');
    a.leave(false);
    assert.equal(turns.busy('u'), false);
  });

  it('two slots freed at once: the second is tried by the next only once the first is served', async () => {
    const turns = new Turns();
    const a = turns.join('u');
    const b = turns.join('u');
    turns.release('u');
    turns.release('u');
    assert.equal(a.woken, true);
    assert.equal(b.woken, false, 'only the head tries');
    a.leave(true);
    assert.equal(await b.wait(LONG), true);
    b.leave(true);
  });

  it('ids have their own queues', () => {
    const turns = new Turns();
    const a = turns.join('u');
    const b = turns.join('ip');
    turns.release('ip');
    assert.equal(a.woken, false);
    assert.equal(b.woken, true);
    a.leave(false);
    b.leave(true);
    turns.release('nobody');
  });
});
