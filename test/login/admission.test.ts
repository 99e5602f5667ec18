import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/config.js';
import { type VerifyResult, verifyPassword } from '../../src/identity/passwords.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server.js';
import type { Store } from '../../src/store/db.js';
import { ISSUER, TestClock, silentLogger } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import {
  type CounterKind,
  REDIS_URL,
  SUSPICIOUS_IP_BODY,
  WRONG_BODY,
  cleanRedis,
  login,
  loginOverSocket,
  newEnv,
  newUser,
  seededStore,
  wrong,
} from '../protection/helpers.js';

const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

const OVERLOADED = {
  error: 'temporarily_unavailable',
  error_description: 'The service is temporarily unavailable. Try again later.',
};

/** A hasher the test holds: calls are counted, and wait while `held` until `release`. */
class HeldHasher {
  calls = 0;
  held = false;
  delayMs = 0;
  private waiting: (() => void)[] = [];
  verify = async (stored: string, password: string): Promise<VerifyResult> => {
    if (this.held) {
      this.calls++;
      await new Promise<void>((r) => this.waiting.push(r));
    } else if (this.delayMs) {
      this.calls++;
      await sleep(this.delayMs);
    }
    return verifyPassword(stored, password);
  };
  release() {
    this.held = false;
    for (const r of this.waiting.splice(0)) r();
  }
}

interface TestNode {
  app: FastifyInstance;
  rt: Runtime;
}

async function start(
  store: Store,
  hasher: HeldHasher,
  env: ReturnType<typeof newEnv> & { counters: CounterKind },
  extra: Record<string, string>,
  hashCostMs = 10,
): Promise<TestNode> {
  const config = loadConfig({
    TESSERA_ISSUER: ISSUER,
    TESSERA_SECRET: 'test-secret-test-secret-test-secret-0123',
    TESSERA_REDIS_PREFIX: env.prefix,
    ...(env.counters === 'redis' ? { TESSERA_REDIS_URL: REDIS_URL } : {}),
    ...extra,
  });
  const rt = await createRuntime(config, {
    store,
    now: new TestClock().now,
    log: silentLogger(),
    verify: hasher.verify,
    hashParallelism: 1,
    hashCostMs,
  });
  return { app: await buildServer(rt, { logger: false }), rt };
}

async function until(cond: () => boolean) {
  for (let i = 0; !cond(); i++) {
    if (i > 2_000) throw new Error('timed out waiting');
    await sleep(5);
  }
}

const BRUTE_FORCE = {
  bruteForceProtection: { enabled: true, shields: ['block'], mode: 'count_per_identifier', max_attempts: 3 },
  suspiciousIpThrottling: { enabled: false },
};

describe('admission control in front of the hash pool', () => {
  let store: Store;
  let node: TestNode;
  const hasher = new HeldHasher();
  const env = newEnv('memory');

  before(async () => {
    store = await seededStore(sqlite, BRUTE_FORCE as never);
    // Hashes of 200 ms, one at a time, a budget of 300 ms: one login hashing fills the queue
    // (the budget bounds the whole answer: 100 ms are left for the rest of a login's work).
    node = await start(store, hasher, env, { TESSERA_ADMISSION_BUDGET_MS: '300' }, 200);
  });
  after(async () => {
    await node.app.close();
    await store.close();
  });

  it('refuses at once with 503 and Retry-After when the queue is over budget, counting nothing', async () => {
    const bob = await newUser(node.rt, 'bob');
    hasher.held = true;
    const first = login(node.app, { username: bob.email, password: bob.password });
    await until(() => hasher.calls === 1);
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await login(node.app, wrong());
      assert.ok(performance.now() - t0 < 500);
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), OVERLOADED);
      assert.equal(res.headers['retry-after'], '1');
    }
    assert.equal(hasher.calls, 1, 'a refused login is not hashed');
    hasher.release();
    assert.equal((await first).statusCode, 200);
    // Recovery at once, and the five refusals were not attempts: Alice has all three.
    for (let i = 0; i < 3; i++) {
      const res = await login(node.app, wrong());
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), WRONG_BODY);
    }
    assert.equal((await login(node.app, wrong())).statusCode, 429);
  });
});

describe('a client gone before its turn', () => {
  let store: Store;
  let node: TestNode;
  const hasher = new HeldHasher();
  const env = newEnv('memory');

  before(async () => {
    store = await seededStore(sqlite, BRUTE_FORCE as never);
    node = await start(store, hasher, env, { TESSERA_ADMISSION_BUDGET_MS: '60000' });
    await node.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await node.app.close();
    await store.close();
  });

  it('is not hashed and not counted', async () => {
    const bob = await newUser(node.rt, 'bob');
    hasher.held = true;
    const first = login(node.app, wrong({ username: bob.email }));
    await until(() => hasher.calls === 1);
    const req = loginOverSocket(node.app, 'not-the-password');
    await until(() => node.rt.admission.inFlight === 2);
    req.destroy();
    await sleep(50);
    hasher.release();
    assert.equal((await first).statusCode, 403);
    await until(() => node.rt.admission.inFlight === 0);
    assert.equal(hasher.calls, 1, 'the gone client’s password was not hashed');
    // Not counted: Alice still has her three attempts.
    for (let i = 0; i < 3; i++) assert.equal((await login(node.app, wrong())).statusCode, 403);
    assert.equal((await login(node.app, wrong())).statusCode, 429);
  });
});

const THROTTLE = {
  bruteForceProtection: { enabled: false },
  suspiciousIpThrottling: {
    enabled: true,
    shields: ['block'],
    stage: { 'pre-login': { max_attempts: 10, rate: 60_000 } },
  },
};

const counterKinds: CounterKind[] =
  process.env.TESSERA_TEST_REDIS === 'off' ? ['memory'] : ['memory', 'redis'];
for (const counters of counterKinds) {
  describe(`one backend IP under load (${counters} counters)`, () => {
    let store: Store;
    let node: TestNode;
    const hasher = new HeldHasher();
    const env = newEnv(counters);

    before(async () => {
      store = await seededStore(sqlite, THROTTLE as never);
      node = await start(store, hasher, env, { TESSERA_ADMISSION_BUDGET_MS: '0' });
    });
    after(async () => {
      await node.app.close();
      await store.close();
      await cleanRedis(env);
    });

    it('never calls a correct password suspicious because of logins in flight', async () => {
      // 60 at once on a bucket of 10, hashed one at a time: the last waits ~4 s for a token, past MAX_WAIT_MS.
      hasher.delayMs = 70;
      const answers = await Promise.all(
        Array.from({ length: 60 }, () => login(node.app, { ip: '198.51.100.7' })),
      );
      hasher.delayMs = 0;
      assert.deepEqual(
        answers.map((r) => r.statusCode),
        answers.map(() => 200),
      );
    });

    it('still refuses concurrent wrong guesses beyond the bucket', async () => {
      hasher.delayMs = 20;
      const before = hasher.calls;
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          login(node.app, wrong({ username: `nobody${i}@acme.test`, ip: '198.51.100.8' })),
        ),
      );
      hasher.delayMs = 0;
      const wrongs = answers.filter((r) => r.statusCode === 403);
      const refused = answers.filter((r) => r.statusCode === 429);
      assert.equal(wrongs.length, 10);
      assert.equal(refused.length, 20);
      for (const r of refused) assert.deepEqual(r.json(), SUSPICIOUS_IP_BODY);
      assert.equal(hasher.calls - before, 10, 'only the bucket’s worth of guesses was checked');
    });
  });
}
