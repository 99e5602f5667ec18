import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission, CostEstimate } from '../../src/identity/admission.js';

/** A clock the test moves by hand. */
class Clock {
  t = 1_000;
  now = () => this.t;
}

/** True when `fn` throws the 503 a refused login gets (errors.temporarilyUnavailable). */
function refused(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'ERR_TEMPORARILY_UNAVAILABLE');
    return true;
  }
}

/** Runs one hash that takes `ms` on the test clock. */
function hashTaking(admission: Admission, clock: Clock, ms: number): Promise<void> {
  return admission.run(async () => {
    clock.t += ms;
  });
}

describe('CostEstimate (Jacobson/Karels: smoothed mean and mean deviation)', () => {
  it('starts at the first sample with half of it as the deviation', () => {
    const e = new CostEstimate(2);
    assert.equal(e.mean, undefined);
    e.sample(40);
    assert.equal(e.mean, 40);
    assert.equal(e.deviation, 20);
    assert.equal(e.upper, 80);
  });

  it('moves the mean by 1/5 and the deviation by 1/4 of each error', () => {
    const e = new CostEstimate(2);
    e.sample(40);
    e.sample(60);
    // deviation: 0.75 × 20 + 0.25 × |60 − 40| = 20; mean: 0.8 × 40 + 0.2 × 60 = 44.
    assert.equal(e.deviation, 20);
    assert.equal(e.mean, 44);
    assert.equal(e.upper, 84);
  });

  it('narrows to the mean when the samples do not vary', () => {
    const e = new CostEstimate(2);
    for (let i = 0; i < 100; i++) e.sample(30);
    assert.equal(e.mean, 30);
    assert.ok(e.deviation! < 0.01);
  });
});

describe('Admission', () => {
  it('costMs is the mean hash time; the queue is sized with mean + k × deviation', async () => {
    const clock = new Clock();
    const a = new Admission({ budgetMs: 10_000, parallelism: 1, clock: clock.now, deviations: 2 });
    await hashTaking(a, clock, 40);
    await hashTaking(a, clock, 60);
    assert.equal(a.costMs(), 44);
    assert.equal(a.conservativeCostMs(), 84);
    // Alone: its own hash at the conservative cost.
    assert.equal(a.expectedWaitMs(), 84);
  });

  it('refuses when the time already spent plus the expected wait exceeds the budget', () => {
    const clock = new Clock();
    const a = new Admission({ budgetMs: 100, parallelism: 1, clock: clock.now, fixedCostMs: 60 });
    // Arrived 30 ms ago: 30 + 60 ≤ 100.
    assert.equal(
      refused(() => a.precheck(clock.t - 30)),
      false,
    );
    // Arrived 50 ms ago: 50 + 60 > 100, though the pool is idle.
    assert.equal(
      refused(() => a.precheck(clock.t - 50)),
      true,
    );
    assert.equal(
      refused(() => a.admit(clock.t - 50)),
      true,
    );
    assert.equal(a.inFlight, 0, 'a refused login is not admitted');
    // Without an arrival time, only the hash counts (as before).
    assert.equal(
      refused(() => a.precheck()),
      false,
    );
  });

  it('counts the measured work of an admitted login outside its hash', async () => {
    const clock = new Clock();
    const a = new Admission({ budgetMs: 100, parallelism: 1, clock: clock.now, fixedCostMs: 60 });
    const ticket = a.admit(clock.t);
    clock.t += 5; // reads before the hash
    await ticket.run(async () => {
      clock.t += 60;
    });
    clock.t += 25; // signing and writes after it
    ticket.release();
    assert.equal(a.tailMs(), 30);
    // 60 + 30 ≤ 100 arrived now; 15 ms late it is not.
    assert.equal(
      refused(() => a.precheck(clock.t)),
      false,
    );
    assert.equal(
      refused(() => a.precheck(clock.t - 15)),
      true,
    );
  });

  it('sizes the queue: parallelism hashes at a time, each at the conservative cost', () => {
    const clock = new Clock();
    const a = new Admission({ budgetMs: 100, parallelism: 2, clock: clock.now, fixedCostMs: 40 });
    const tickets = [a.admit(clock.t), a.admit(clock.t)];
    // Two hashing: a third starts after one of them, 40 + 40 ≤ 100.
    tickets.push(a.admit(clock.t));
    tickets.push(a.admit(clock.t));
    // Four ahead: 40 + 40 + 40 > 100.
    assert.equal(
      refused(() => a.admit(clock.t)),
      true,
    );
    for (const t of tickets) t.release();
    assert.equal(a.inFlight, 0);
    assert.equal(
      refused(() => a.admit(clock.t)),
      false,
    );
  });

  it('a ticket released twice counts once', () => {
    const clock = new Clock();
    const a = new Admission({ budgetMs: 100, parallelism: 1, clock: clock.now, fixedCostMs: 10 });
    const t = a.admit(clock.t);
    a.admit(clock.t);
    t.release();
    t.release();
    assert.equal(a.inFlight, 1);
  });

  it("a ticket whose client has gone runs no hash, queued or not; the others' run", async () => {
    const clock = new Clock();
    const a = new Admission({ budgetMs: 10_000, parallelism: 1, clock: clock.now, fixedCostMs: 10 });
    let gone = false;
    const hashed: string[] = [];
    const stay = a.admit(clock.t);
    const leave = a.admit(clock.t, () => gone);
    let release!: () => void;
    const first = stay.run(async () => {
      hashed.push('first');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    // Queued behind the first; its client goes while it waits.
    const queued = leave.run(async () => {
      hashed.push('gone');
    });
    gone = true;
    release();
    await first;
    await assert.rejects(queued, { code: 'ERR_TEMPORARILY_UNAVAILABLE' });
    // Gone before it asked: not hashed either; the queue's slot was given back.
    await assert.rejects(
      leave.run(async () => {
        hashed.push('gone again');
      }),
      { code: 'ERR_TEMPORARILY_UNAVAILABLE' },
    );
    await stay.run(async () => {
      hashed.push('second');
    });
    assert.deepEqual(hashed, ['first', 'second']);
    stay.release();
    leave.release();
    assert.equal(a.inFlight, 0);
  });

  it('a budget of 0 admits everything', () => {
    const clock = new Clock();
    const a = new Admission({ budgetMs: 0, parallelism: 1, clock: clock.now, fixedCostMs: 10_000 });
    assert.equal(
      refused(() => a.precheck(clock.t - 60_000)),
      false,
    );
  });
});
