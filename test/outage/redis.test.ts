import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server.js';
import { openStore, migrate } from '../../src/store/db.js';
import { ALICE, ISSUER, SECRET, TestClock, seedTenant, tokenRequest } from '../helpers/app.js';
import { freePort } from '../helpers/free-port.js';
import { type RedisInstance, startRedis } from '../helpers/redis-instance.js';

interface Node {
  app: FastifyInstance;
  rt: Runtime;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A Tessera with its counters in Redis at `url`, whose structured log the test reads. */
async function startNode(url: string): Promise<Node> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      cb();
    },
  });
  const store = openStore(':memory:');
  await migrate(store);
  const config = loadConfig({
    TESSERA_ISSUER: ISSUER,
    TESSERA_SECRET: 'test-secret-test-secret-test-secret-0123',
    TESSERA_REDIS_URL: url,
    TESSERA_REDIS_PREFIX: 'outage:',
  });
  const rt = await createRuntime(config, {
    store,
    now: new TestClock().now,
    log: pino({ level: 'info' }, sink),
  });
  await seedTenant(rt);
  const app = await buildServer(rt, { logger: false });
  return {
    app,
    rt,
    logs,
    async close() {
      await app.close();
      await rt.protection.close();
      await store.close();
    },
  };
}

const login = (n: Node, password = ALICE.password) =>
  tokenRequest(n.app, {
    grant_type: 'password',
    username: ALICE.email,
    password,
    client_id: 'acme-web',
    client_secret: SECRET,
  });

async function assertRefusedFast(n: Node, password?: string) {
  const t0 = performance.now();
  const res = await login(n, password);
  const took = performance.now() - t0;
  assert.equal(res.statusCode, 503, res.body);
  assert.deepEqual(res.json(), {
    error: 'temporarily_unavailable',
    error_description: 'The service is temporarily unavailable. Try again later.',
  });
  assert.equal(res.headers['retry-after'], '5');
  // No 15 s of ioredis backoff: a generous bound, not a benchmark.
  assert.ok(took < 2_000, `took ${took} ms`);
}

const redisWarnings = (n: Node) => n.logs.filter((l) => l.level === 40 && /redis/i.test(String(l.msg)));

describe('Redis outages (attack-protection counters)', { timeout: 60_000 }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.close());

  it('Redis killed: logins (right or wrong password) get a fast 503, no guess passes unchecked; back: logins work within a second', async () => {
    const n = await startNode(redis.url);
    try {
      assert.equal((await login(n)).statusCode, 200);
      await redis.kill();
      await sleep(50);
      await assertRefusedFast(n);
      await assertRefusedFast(n, 'a wrong guess');
      await sleep(1_000);
      await assertRefusedFast(n);
      // Reconnection attempts go on; the log says so once, not once per attempt.
      const warnings = redisWarnings(n);
      assert.ok(warnings.length >= 1 && warnings.length <= 3, JSON.stringify(warnings));
      await redis.start();
      const t0 = performance.now();
      for (;;) {
        const res = await login(n);
        if (res.statusCode === 200) break;
        assert.ok(
          performance.now() - t0 < 1_500,
          `still ${res.statusCode} after ${performance.now() - t0} ms`,
        );
        await sleep(50);
      }
    } finally {
      await redis.start().catch(() => {});
      await n.close();
    }
  });

  it('Redis unreachable at boot: a warning in the log, logins refused with a 503 at once', async () => {
    const n = await startNode(`redis://127.0.0.1:${await freePort()}`);
    try {
      const boot = redisWarnings(n);
      assert.ok(
        boot.some((l) => /cannot be reached/.test(String(l.msg))),
        JSON.stringify(n.logs),
      );
      await assertRefusedFast(n);
    } finally {
      await n.close();
    }
  });
});
