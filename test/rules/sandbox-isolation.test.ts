import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { configureRules, sandboxFor } from '../../src/rules/sandboxes.js';
import { DEFAULT_RULES_LIMITS } from '../../src/rules/types.js';
import { listEvents } from '../../src/store/repos/events.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { addUser, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { alice, setScripts } from './helpers.js';
import { ATTACKS, HOSTILE_RULES, MALLORY } from './hostile.js';

const FAILED = {
  error: 'access_denied',
  error_description: 'The login was refused because a rule or action failed.',
};

// The sandbox does not depend on the database: SQLite is enough here.
const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

describe('rules sandbox: one bad script does not hurt other logins', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(sqlite);
    await addUser(t.rt, {
      user_id: 'auth0|mallory',
      connection_id: 'con_default',
      email: MALLORY.email,
      email_verified: true,
      password: MALLORY.password,
    });
    // Many logins of one user at once would otherwise meet brute-force protection.
    await putSetting(t.rt.store.db, 'attackProtection', {
      bruteForceProtection: { enabled: false },
      suspiciousIpThrottling: { enabled: false },
      breachedPasswordDetection: { enabled: false },
    });
    await setScripts(t, { rules: HOSTILE_RULES });
  });
  after(() => t.close());
  afterEach(() => configureRules(t.rt, DEFAULT_RULES_LIMITS));

  const hostileLogin = (attack: string) =>
    tokenRequest(t.app, { ...alice, username: MALLORY.email, password: MALLORY.password, attack });

  /** The reasons of the latest `n` failed-login audit events. */
  async function failureReasons(n: number): Promise<string[]> {
    const events = await listEvents(t.rt.store.db, { limit: 100 });
    return events
      .filter((e) => e.type === 'fepft')
      .slice(0, n)
      .map((e) => String((e.details as { reason?: string }).reason));
  }

  it('8 hostile logins (loop, memory, await loop, await forever) and 24 innocent ones at once', async () => {
    // The default depends on the cores; fewer busy places than hostile logins here.
    configureRules(t.rt, { busyLogins: 2 });
    const hostile = Array.from({ length: 8 }, (_, i) => hostileLogin(ATTACKS[i % ATTACKS.length]!));
    // Innocent logins in three waves while the hostile ones run.
    const innocent = [];
    for (let wave = 0; wave < 3; wave++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      for (let i = 0; i < 8; i++) innocent.push(tokenRequest(t.app, alice));
    }
    const innocentAnswers = await Promise.all(innocent);
    const hostileAnswers = await Promise.all(hostile);
    for (const res of innocentAnswers) {
      assert.equal(res.statusCode, 200, `${res.body} ${JSON.stringify(await failureReasons(20))}`);
      assert.ok(res.json().access_token);
    }
    for (const res of hostileAnswers) {
      assert.equal(res.statusCode, 403, res.body);
      assert.deepEqual(res.json(), FAILED);
    }
    // Each hostile login's audit event names the rule and why it was stopped.
    const reasons = await failureReasons(100);
    assert.equal(reasons.length, 8, JSON.stringify(reasons));
    for (const reason of reasons) {
      assert.match(
        reason,
        /^Rule "per-user": (exceeded its time limit|ran out of memory|used more than 100 ms of CPU while 2 other logins' scripts did|ran longer than 1000 ms while 8 other|(used more than 25 ms of CPU|ran longer than 1000 ms); the same user's scripts were stopped)/,
      );
    }
    // More hostile logins than busy places: the sandbox stopped some before their time limit.
    assert.ok(reasons.some((r) => r.endsWith('; stopped')));
    // Afterwards the sandbox serves logins as before.
    assert.equal((await tokenRequest(t.app, alice)).statusCode, 200);
  });

  it('past the cap of slow logins, a waiting script is stopped with a clear reason', async () => {
    // No strikes here: the first stopped login would take the other's place away.
    configureRules(t.rt, { slowMs: 100, slowLogins: 1, scriptTimeoutMs: 1000, strikeMs: 0 });
    const [first, second] = await Promise.all([hostileLogin('await-forever'), hostileLogin('await-forever')]);
    assert.deepEqual([first!.statusCode, second!.statusCode], [403, 403]);
    assert.deepEqual((await failureReasons(2)).sort(), [
      'Rule "per-user": exceeded its time limit (1000 ms per script, 10000 ms for all of a login\'s rules and actions)',
      'Rule "per-user": ran longer than 100 ms while 1 other logins\' scripts did (the sandbox\'s limit of slow logins); stopped',
    ]);
  });

  it('a user whose scripts were stopped gets no busy place for a while; others do', async () => {
    configureRules(t.rt, { scriptTimeoutMs: 300 });
    assert.equal((await hostileLogin('loop')).statusCode, 403);
    assert.deepEqual(await failureReasons(1), [
      'Rule "per-user": exceeded its time limit (300 ms per script, 10000 ms for all of a login\'s rules and actions)',
    ]);
    // Stopped at 25 ms of CPU, long before its 300 ms time limit.
    assert.equal((await hostileLogin('loop')).statusCode, 403);
    assert.deepEqual(await failureReasons(1), [
      'Rule "per-user": used more than 25 ms of CPU; the same user\'s scripts were stopped or failed within the last 60000 ms, so it gets no more; stopped',
    ]);
    // Mallory's fast logins still work, and so do everyone else's.
    assert.equal((await hostileLogin('none')).statusCode, 200);
    assert.equal((await tokenRequest(t.app, alice)).statusCode, 200);
  });

  it('the pool grows with concurrent logins and shrinks to its warm isolates when idle', async () => {
    configureRules(t.rt, { warmIsolates: 1, idleIsolateMs: 100 });
    const sandbox = sandboxFor(t.rt);
    sandbox.dispose();
    const deadline = performance.now() + 5000;
    const leases = await Promise.all(Array.from({ length: 4 }, () => sandbox.lease(deadline)));
    assert.deepEqual(sandbox.stats(), { idle: 0, leased: 4 });
    assert.equal(new Set(leases.map((l) => l!.slot)).size, 4, 'an isolate each');
    for (const lease of leases) sandbox.release(lease!);
    assert.deepEqual(sandbox.stats(), { idle: 4, leased: 0 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(sandbox.stats(), { idle: 1, leased: 0 });
    // And serves logins as before.
    assert.equal((await tokenRequest(t.app, alice)).statusCode, 200);
  });

  it('with every isolate lent, a login waits for one and succeeds', async () => {
    configureRules(t.rt, { isolates: 1 });
    const answers = await Promise.all(Array.from({ length: 4 }, () => tokenRequest(t.app, alice)));
    assert.deepEqual(
      answers.map((r) => r.statusCode),
      [200, 200, 200, 200],
    );
  });
});
