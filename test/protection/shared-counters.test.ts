import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { UnavailableError } from '../../src/errors/index.js';
import {
  type Channel,
  CounterHost,
  PRIMARY_TIMEOUT_MS,
  PrimaryCounters,
} from '../../src/protection/shared-counters.js';

/** Both ends of an IPC channel in one process; messages are copied as JSON, as the cluster's channel does. */
function pipe(): { worker: Channel; primary: Channel } {
  const toWorker = new EventEmitter();
  const toPrimary = new EventEmitter();
  const deliver = (to: EventEmitter) => (m: unknown) => {
    const copy = JSON.parse(JSON.stringify(m));
    setImmediate(() => to.emit('message', copy));
    return true;
  };
  return {
    worker: {
      send: deliver(toPrimary),
      on: (e, l) => toWorker.on(e, l),
      off: (e, l) => toWorker.off(e, l),
    },
    primary: {
      send: deliver(toWorker),
      on: (e, l) => toPrimary.on(e, l),
      off: (e, l) => toPrimary.off(e, l),
    },
  };
}

describe('counters held by the cluster primary (shared-counters.ts)', () => {
  it('counts the attempts of every worker in one series, exactly, however they interleave', async () => {
    const host = new CounterHost();
    const workers = [pipe(), pipe()].map((p) => {
      host.serve(p.primary);
      return new PrimaryCounters(p.worker);
    });
    const counts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => workers[i % 2]!.attempt('user:alice')),
    );
    assert.deepEqual(
      [...counts].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    await workers[1]!.refund('user:alice');
    assert.equal(await workers[0]!.attempt('user:alice'), 20);
    await workers[0]!.reset('user:alice');
    assert.equal(await workers[1]!.attempt('user:alice'), 1);
    for (const w of workers) await w.close();
    await host.close();
  });

  it('shares one token bucket: what one worker takes, the other sees', async () => {
    const host = new CounterHost();
    const [a, b] = [pipe(), pipe()].map((p) => {
      host.serve(p.primary);
      return new PrimaryCounters(p.worker);
    });
    const now = 1_000_000;
    assert.equal((await a!.take('ip', 2, 1000, now)).ok, true);
    assert.equal((await b!.take('ip', 2, 1000, now)).ok, true);
    assert.deepEqual(await a!.take('ip', 2, 1000, now), {
      ok: false,
      waitMs: 1000,
      remaining: 0,
      fullAt: now + 2000,
    });
    assert.equal((await b!.peek('ip', 2, 1000, now)).remaining, 0);
    await b!.giveBack('ip', 1000, now);
    assert.equal((await a!.peek('ip', 2, 1000, now)).remaining, 1);
    await a!.refill('ip');
    assert.equal((await b!.peek('ip', 2, 1000, now)).remaining, 2);
    assert.equal(await a!.ready(), true);
    await host.close();
  });

  it('a primary that does not answer: UnavailableError (a 503), not a hang', async () => {
    const p = pipe(); // nobody serves the primary's end
    const counters = new PrimaryCounters(p.worker);
    const started = Date.now();
    await assert.rejects(counters.attempt('user:bob'), (err: unknown) => {
      assert.ok(err instanceof UnavailableError);
      assert.equal(err.backend, 'primary');
      return true;
    });
    assert.ok(Date.now() - started >= PRIMARY_TIMEOUT_MS - 50);
    await counters.close();
  });

  it('ignores messages that are not its own', async () => {
    const p = pipe();
    const host = new CounterHost();
    host.serve(p.primary);
    const counters = new PrimaryCounters(p.worker);
    p.primary.send({ tessera: 'listening', url: 'http://x' });
    p.worker.send({ tessera: 'counters', id: 1, op: 'constructor', args: [] });
    assert.equal(await counters.attempt('k'), 1);
    await host.close();
  });
});
