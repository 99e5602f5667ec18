import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { configureRules, sandboxFor } from '../../src/rules/sandboxes.js';
import { DEFAULT_RULES_LIMITS } from '../../src/rules/types.js';
import { startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { action, alice, login, NS, rule, setScripts } from './helpers.js';

// The sandbox does not depend on the database: SQLite is enough here.
const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

/** A rule that reports what an earlier script could have left, then leaves all of it. */
const LEAVER = rule(
  'leaver',
  `context.accessToken['${NS}seen'] = [typeof globalThis.mark, typeof ({}).polluted, typeof [].map, typeof configuration.KEY];
   globalThis.mark = user.email;
   Object.prototype.polluted = 1;
   Array.prototype.map = null;
   delete configuration.KEY;
   callback(null, user, context);`,
);
const CLEAN = ['undefined', 'undefined', 'function', 'string'];

describe('rules sandbox: a context per login, made ahead', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(sqlite);
  });
  after(() => t.close());
  afterEach(() => configureRules(t.rt, DEFAULT_RULES_LIMITS));

  it("a global set by one login's rule is not seen by the next login's, on the same isolate", async () => {
    // One isolate: every login runs on it, one after the other.
    configureRules(t.rt, { isolates: 1, warmIsolates: 1 });
    sandboxFor(t.rt).dispose();
    await setScripts(t, { rules: [LEAVER], configs: { KEY: 'v' } });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual((await login(t)).access[`${NS}seen`], CLEAN, `login ${i + 1}`);
    }
    // At once, too (the waiting logins get the isolate in turn).
    const answers = await Promise.all([1, 2, 3].map(() => tokenRequest(t.app, alice)));
    for (const res of answers) assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(sandboxFor(t.rt).stats(), { idle: 1, leased: 0 });
  });

  it("a login's later scripts share its context: an earlier one's globals, and nothing of its run", async () => {
    await setScripts(t, {
      rules: [
        rule(
          'first',
          `globalThis.mark = user.email;
           globalThis.firstCallback = callback;
           console.log('from first');
           // Left pending when the rule calls back: it never runs.
           setTimeout(function () { globalThis.late = 'ran'; }, 0);
           callback(null, user, context);`,
        ),
        rule(
          'second',
          `context.accessToken['${NS}second'] = [typeof mark === 'string' ? mark : typeof mark, typeof late];
           // The first rule's callback is its own: called now, it changes nothing.
           firstCallback(new UnauthorizedError('from the first rule'));
           setTimeout(function () {
             context.accessToken['${NS}timer'] = typeof late;
             callback(null, user, context);
           }, 5);`,
        ),
      ],
      actions: [
        action(
          'after the rules',
          `api.accessToken.setCustomClaim('${NS}action', [typeof mark, typeof configuration, typeof auth0]);`,
        ),
      ],
    });
    const { access } = await login(t);
    assert.deepEqual(access[`${NS}second`], [alice.username, 'undefined']);
    assert.equal(access[`${NS}timer`], 'undefined');
    // An action sees the rules' globals, not the rules' own (configuration, auth0).
    assert.deepEqual(access[`${NS}action`], ['string', 'undefined', 'undefined']);
  });

  it("an earlier action's api, called by a later action, records nothing for either", async () => {
    await setScripts(t, {
      actions: [
        action('first', `globalThis.firstApi = api;`),
        action(
          'second',
          `firstApi.accessToken.setCustomClaim('${NS}late', 'from the first api');
           firstApi.access.deny('from the first api');
           api.accessToken.setCustomClaim('${NS}own', typeof firstApi);`,
        ),
      ],
    });
    const { access } = await login(t);
    assert.equal(access[`${NS}own`], 'object');
    assert.equal(access[`${NS}late`], undefined);
  });

  it('a later login on the same isolate sees nothing an earlier one hid, even where a put-back would not look', async () => {
    configureRules(t.rt, { isolates: 1, warmIsolates: 1 });
    sandboxFor(t.rt).dispose();
    // Each case once escaped a shared context's put-back (a replaced method of a
    // less common built-in, a symbol or non-enumerable property, a property on a
    // built-in function, a frozen built-in, a top-level \`let\` declared by
    // breaking out of the rule's wrapper): a context per login leaves the next
    // login nothing of them.
    await setScripts(t, {
      rules: [
        {
          name: 'hider',
          script: `function (user, context, callback) {
  Date.prototype.toISOString = function () { return user.email; };
  Object.defineProperty(RegExp.prototype, Symbol.for('seen'), { value: user.email, configurable: true });
  Object.defineProperty(Map.prototype, 'seen', { value: user.email, configurable: true });
  Array.prototype.map.seen = user.email;
  Object.freeze(Array.prototype);
  callback(null, user, context);
}));
let leaked = 'a top-level let';
void ((0`,
        },
      ],
    });
    await login(t);
    await setScripts(t, {
      rules: [
        rule(
          'finder',
          `context.accessToken['${NS}found'] = [
             new Date(0).toISOString(),
             typeof RegExp.prototype[Symbol.for('seen')],
             typeof Map.prototype.seen,
             typeof Array.prototype.map.seen,
             Object.isFrozen(Array.prototype),
             typeof leaked,
           ];
           callback(null, user, context);`,
        ),
      ],
    });
    assert.deepEqual((await login(t)).access[`${NS}found`], [
      '1970-01-01T00:00:00.000Z',
      'undefined',
      'undefined',
      'undefined',
      false,
      'undefined',
    ]);
  });

  it("an action's context keeps nothing of the prelude's warm-up run (slot.ts)", async () => {
    await setScripts(t, {
      actions: [
        action(
          'looker',
          `api.accessToken.setCustomClaim('${NS}globals', [typeof configuration, typeof auth0]);`,
        ),
      ],
    });
    assert.deepEqual((await login(t)).access[`${NS}globals`], ['undefined', 'undefined']);
  });

  it("the Intl cap counts each script's objects, not the login's", async () => {
    const make = (name: string, n: number) =>
      rule(
        name,
        `for (let i = 0; i < ${n}; i++) new Intl.NumberFormat('en'); callback(null, user, context);`,
      );
    await setScripts(t, { rules: [make('a', 60), make('b', 60)] });
    await login(t);
    await setScripts(t, { rules: [make('c', 101)] });
    assert.equal((await tokenRequest(t.app, alice)).statusCode, 403);
  });

  it('isolates are made ahead: a login finds one idle and does not wait for it', async () => {
    const fresh = await startTestApp(sqlite);
    try {
      const sandbox = sandboxFor(fresh.rt);
      const until = performance.now() + 10_000;
      while (sandbox.stats().idle < DEFAULT_RULES_LIMITS.warmIsolates && performance.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(sandbox.stats(), { idle: DEFAULT_RULES_LIMITS.warmIsolates, leased: 0 });
      const lease = sandbox.lease(performance.now() + 1000);
      assert.ok(!(lease instanceof Promise), 'lent at once');
      sandbox.release(lease);
    } finally {
      await fresh.close();
    }
  });
});
