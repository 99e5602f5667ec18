import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromTokens, giveBackToken, peekToken, takeToken, toTokens } from '../../src/store/token-bucket.js';

const SHAPE = { capacity: 3, rateMs: 1_000 };
const T0 = 1_000_000;

describe('store/token-bucket (GCRA)', () => {
  it('lets capacity takes through at once, then one per rateMs', () => {
    let tat: number | undefined;
    const takes = [];
    for (let i = 0; i < 4; i++) {
      const r = takeToken(tat, SHAPE, T0);
      if (r.ok) tat = r.tat;
      takes.push({ ok: r.ok, remaining: r.remaining, waitMs: r.waitMs });
    }
    assert.deepEqual(takes, [
      { ok: true, remaining: 2, waitMs: 0 },
      { ok: true, remaining: 1, waitMs: 0 },
      { ok: true, remaining: 0, waitMs: 1_000 },
      { ok: false, remaining: 0, waitMs: 1_000 },
    ]);
    assert.equal(takeToken(tat, SHAPE, T0 + 999).ok, false);
    const later = takeToken(tat, SHAPE, T0 + 1_000);
    assert.equal(later.ok, true);
    assert.equal(later.fullAt, T0 + 4_000);
  });

  it('peeks without taking, and gives a token back never above capacity', () => {
    const first = takeToken(undefined, SHAPE, T0);
    assert.deepEqual(peekToken(first.tat, SHAPE, T0), {
      ok: true,
      waitMs: 0,
      remaining: 2,
      fullAt: T0 + 1_000,
    });
    assert.equal(giveBackToken(first.tat, SHAPE.rateMs, T0), undefined, 'full again: nothing to store');
    const second = takeToken(first.tat, SHAPE, T0);
    assert.equal(giveBackToken(second.tat, SHAPE.rateMs, T0), T0 + 1_000);
    assert.equal(giveBackToken(undefined, SHAPE.rateMs, T0), undefined);
  });

  it('reads and writes a bucket kept as a token count (the MFA row) without changing it', () => {
    // 1.5 tokens at T0, one back per second: 2.5 a second later; one taken then leaves 1.5.
    const tat = fromTokens(1.5, T0, SHAPE);
    assert.equal(toTokens(tat, T0, SHAPE), 1.5);
    const take = takeToken(tat, SHAPE, T0 + 1_000);
    assert.equal(take.ok, true);
    assert.equal(toTokens(take.tat, T0 + 1_000, SHAPE), 1.5);
    // Empty (0.5 tokens): refused, as the count said.
    assert.equal(takeToken(fromTokens(0.5, T0, SHAPE), SHAPE, T0).ok, false);
    // Long unused: full, never more.
    assert.equal(
      toTokens(takeToken(fromTokens(0, T0, SHAPE), SHAPE, T0 + 60_000).tat, T0 + 60_000, SHAPE),
      2,
    );
  });
});
