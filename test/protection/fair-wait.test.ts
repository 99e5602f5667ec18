import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type VerifyResult, verifyPassword } from '../../src/identity/passwords.js';
import { MAX_WAIT_MS } from '../../src/protection/attempt.js';
import { ipBlockId, userBlockId } from '../../src/protection/block-ids.js';
import type { Store } from '../../src/store/db.js';
import { ALICE, TestClock } from '../helpers/app.js';
import {
  type Env,
  type Node,
  cleanRedis,
  login,
  loginOverSocket,
  matrix,
  newEnv,
  seededStore,
  startNode,
} from './helpers.js';

const MAX_ATTEMPTS = 10;
const TOKENS = 20;
const RATE = 3_600_000;
const LOGINS = 40;

const SETTING = {
  bruteForceProtection: { enabled: true, max_attempts: MAX_ATTEMPTS, shields: ['block'] },
  suspiciousIpThrottling: {
    enabled: true,
    shields: ['block'],
    stage: { 'pre-login': { max_attempts: TOKENS, rate: RATE } },
  },
};

/** A password check the test holds: each call waits until released, oldest first. */
class HeldHasher {
  held = false;
  private waiting: (() => void)[] = [];
  verify = async (stored: string, password: string): Promise<VerifyResult> => {
    if (!this.held) return verifyPassword(stored, password);
    await new Promise<void>((r) => this.waiting.push(r));
    return { ok: true, needsRehash: false };
  };
  get pending(): number {
    return this.waiting.length;
  }
  releaseOne(): void {
    this.waiting.shift()?.();
  }
}

async function until(cond: () => boolean, what: string) {
  for (let i = 0; !cond(); i++) {
    if (i > 4_000) throw new Error(`timed out waiting: ${what}`);
    await sleep(1);
  }
}

for (const m of matrix) {
  describe(`logins waiting on a limit are served first come, first served (${m.name})`, () => {
    let store: Store;
    let env: Env;
    let node: Node;
    const clock = new TestClock();
    const hasher = new HeldHasher();

    before(async () => {
      env = newEnv(m.counters);
      store = await seededStore(m.store, SETTING);
      node = await startNode(store, env, clock, { verify: hasher.verify, hashParallelism: 64 });
    });
    after(async () => {
      await node.stop();
      await store.close();
      await cleanRedis(env);
    });

    it('40 correct logins of one user from one IP: all 200, the waiting ones in arrival order, counters back to zero', async () => {
      const ip = '203.0.113.50';
      const { protection } = node.rt;
      const userId = userBlockId('con_default', ALICE.email.toLowerCase(), ip);
      const ipId = ipBlockId(ip);
      const waiting = () => protection.turns.size(userId) + protection.turns.size(ipId);
      // Each place taken in a queue, numbered; the numbers of those served, in the order they were.
      const joined = new Map<string, number>();
      const served = new Map<string, number[]>([
        [userId, []],
        [ipId, []],
      ]);
      const join = protection.turns.join.bind(protection.turns);
      protection.turns.join = (id: string) => {
        const turn = join(id);
        const n = joined.get(id) ?? 0;
        joined.set(id, n + 1);
        const leave = turn.leave.bind(turn);
        turn.leave = (ok: boolean) => {
          if (ok && !served.get(id)!.includes(n)) served.get(id)!.push(n);
          leave(ok);
        };
        return turn;
      };
      hasher.held = true;
      const answers = [];
      // One at a time, each in its place (hashing, or in a queue) before the next arrives.
      for (let i = 0; i < LOGINS; i++) {
        answers.push(login(node.app, { ip }));
        await until(() => hasher.pending + waiting() === i + 1, `login ${i} placed`);
      }
      assert.equal(hasher.pending, MAX_ATTEMPTS, 'the brute-force limit holds the rest');
      assert.equal(protection.turns.size(userId), TOKENS - MAX_ATTEMPTS);
      assert.equal(protection.turns.size(ipId), LOGINS - TOKENS, 'the IP bucket holds the rest');
      hasher.held = false;
      while (hasher.pending) hasher.releaseOne();
      for (const res of await Promise.all(answers)) assert.equal(res.statusCode, 200, res.body);
      const inOrder = (n: number) => Array.from({ length: n }, (_, i) => i);
      assert.deepEqual(served.get(ipId), inOrder(LOGINS - TOKENS));
      assert.deepEqual(served.get(userId), inOrder(joined.get(userId)!));
      // Nothing held, nothing counted: the next attempt is the first, the bucket is full.
      assert.equal(waiting(), 0);
      assert.equal(protection.heldTokens.size, 0);
      assert.equal(await protection.counters.attempt(userId), 1);
      await protection.counters.refund(userId);
      const bucket = await protection.counters.peek(ip, TOKENS, RATE, clock.now());
      assert.equal(bucket.remaining, TOKENS);
    });
  });
}

describe('a login waiting on a limit whose client goes', () => {
  const m = matrix[0];
  let store: Store;
  let node: Node;
  const hasher = new HeldHasher();

  before(async () => {
    store = await seededStore(m.store, SETTING);
    node = await startNode(store, newEnv(m.counters), new TestClock(), {
      verify: hasher.verify,
      hashParallelism: 64,
    });
    await node.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await node.stop();
    await store.close();
  });

  it(`leaves its place in the queue at once (${m.name}), while the attempts holding the limit are still in flight`, async () => {
    const ip = '127.0.0.1';
    const { protection } = node.rt;
    const userId = userBlockId('con_default', ALICE.email.toLowerCase(), ip);
    hasher.held = true;
    const answers = Array.from({ length: MAX_ATTEMPTS }, () => login(node.app, { ip }));
    await until(() => hasher.pending === MAX_ATTEMPTS, 'the limit held');
    const req = loginOverSocket(node.app);
    await until(() => protection.turns.size(userId) === 1, 'the eleventh login queued');
    req.destroy();
    // A waiter tries again every 100 ms at most; refused for the limit it would be only after
    // MAX_WAIT_MS (3 s). So its client's going, not the limit, ended its wait.
    const gone = performance.now();
    await until(() => protection.turns.size(userId) === 0, 'the gone login out of the queue');
    const left = performance.now() - gone;
    assert.ok(left < MAX_WAIT_MS / 2, `left the queue ${Math.round(left)} ms after its client went`);
    assert.equal(hasher.pending, MAX_ATTEMPTS, 'the ten are still in flight');
    hasher.held = false;
    while (hasher.pending) hasher.releaseOne();
    for (const res of await Promise.all(answers)) assert.equal(res.statusCode, 200, res.body);
    assert.equal(protection.heldTokens.size, 0);
  });
});
