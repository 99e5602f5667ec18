import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { configureRules, sandboxFor } from '../../src/rules/sandboxes.js';
import { listEvents } from '../../src/store/repos/events.js';
import { DEFAULT_RULES_LIMITS } from '../../src/rules/types.js';
import { SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { alice, captureLogs, login, NS, rule, setScripts } from './helpers.js';

const FAILED = {
  error: 'access_denied',
  error_description: 'The login was refused because a rule or action failed.',
};

// The sandbox does not depend on the database: SQLite is enough here.
const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

/**
 * Every test here runs twice: with scripts starting on the event loop (the
 * default, loop-runs.ts: a loop or a fetch moves them to their isolate's
 * thread) and with every script on its isolate's thread from the start.
 */
const MODES = [
  { name: 'scripts start on the event loop', loopSliceMs: DEFAULT_RULES_LIMITS.loopSliceMs },
  { name: "scripts run on their isolate's thread", loopSliceMs: 0 },
];

for (const mode of MODES) {
  describe(`rules sandbox: failures and limits (${mode.name})`, () => {
    let t: TestApp;
    let logs: ReturnType<typeof captureLogs>;
    before(async () => {
      t = await startTestApp(sqlite);
    });
    after(() => t.close());
    beforeEach(async () => {
      logs = captureLogs(t);
      // No strikes (see sandbox-isolation.test.ts): these tests fail Alice's
      // logins one after the other and look at each time limit.
      configureRules(t.rt, { loginTimeoutMs: 300, strikeMs: 0, loopSliceMs: mode.loopSliceMs });
      await setScripts(t, {});
    });
    afterEach(() => configureRules(t.rt, DEFAULT_RULES_LIMITS));

    /** Runs a login with these rules; expects the generic access_denied and the logged reason. */
    async function fails(rules: { name: string; script: string }[], reason: RegExp) {
      await setScripts(t, { rules });
      const started = performance.now();
      const res = await tokenRequest(t.app, alice);
      const elapsed = performance.now() - started;
      assert.equal(res.statusCode, 403, res.body);
      assert.deepEqual(res.json(), FAILED);
      const error = logs.find((l) => l.level === 'error');
      assert.ok(error, 'the failure is logged');
      assert.equal(error.obj.script, `Rule "${rules.at(-1)!.name}"`);
      assert.match(error.obj.reason, reason);
      // The audit event names the script and the cause; the client hears neither.
      const [event] = await listEvents(t.rt.store.db, { limit: 1 });
      assert.equal(event!.type, 'fepft');
      assert.match(
        String((event!.details as { reason?: string }).reason),
        new RegExp(`Rule "${rules.at(-1)!.name}"`),
      );
      return elapsed;
    }

    it("each script has its own time limit inside the login's", async () => {
      configureRules(t.rt, { scriptTimeoutMs: 400, loginTimeoutMs: 10_000 });
      const slow = rule(
        'slow-but-fine',
        `const end = Date.now() + 50; while (Date.now() < end) {} callback(null, user, context);`,
      );
      const stuck = rule('stuck', `while (true) {}`);
      const elapsed = await fails([slow, stuck], /exceeded its time limit \(400 ms per script/);
      assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    });

    it('a rule that throws', async () => {
      await fails([rule('throws', `throw new TypeError('nope');`)], /^TypeError: nope$/);
    });

    it('a rule that does not compile', async () => {
      await fails(
        [{ name: 'syntax', script: 'function (user, context, callback) { if ( }' }],
        /^does not compile: /,
      );
    });

    it('a rule that never calls back', async () => {
      await fails([rule('silent', '')], /never called back/);
    });

    it('a rule that calls back with a plain Error', async () => {
      await fails([rule('plain', `callback(new Error('db down'));`)], /called back with Error: db down/);
    });

    it('an infinite loop, a busy wait after await, and a looping timer, each within the time limit', async () => {
      const loops = [
        rule('loop', 'while (true) {}'),
        rule(
          'busy',
          'Promise.resolve().then(() => { const end = Date.now() + 60000; while (Date.now() < end) {} });',
        ),
        rule('timer', 'setTimeout(() => { for (;;) {} }, 10);'),
        rule('long-timer', 'setTimeout(() => callback(null, user, context), 60000);'),
      ];
      for (const r of loops) {
        logs.length = 0;
        const elapsed = await fails(
          [r],
          /exceeded its time limit \(5000 ms per script, 300 ms for all of a login.s rules and actions\)/,
        );
        assert.ok(elapsed < 1500, `${r.name} took ${elapsed} ms`);
      }
      // The isolate is still good.
      await setScripts(t, {
        rules: [rule('ok', `context.accessToken['${NS}ok'] = true; callback(null, user, context);`)],
      });
      assert.equal((await login(t)).access[`${NS}ok`], true);
    });

    it('a memory bomb fails its login; the next login gets a new isolate', async () => {
      configureRules(t.rt, { loginTimeoutMs: 10_000 });
      await fails(
        [rule('bomb', 'const a = []; for (;;) a.push(new Array(1e5).fill(Math.random()));')],
        /ran out of memory \(limit 32 MB\)/,
      );
      await setScripts(t, {
        rules: [rule('ok', `context.accessToken['${NS}ok'] = 1; callback(null, user, context);`)],
      });
      assert.equal((await login(t)).access[`${NS}ok`], 1);
    });

    it("a looping rule does not hold up concurrent logins' rules, nor logins without rules", async () => {
      configureRules(t.rt, { loginTimeoutMs: 1000 });
      await setScripts(t, {
        rules: [
          rule(
            'loop-for-basic',
            `if (context.clientID === 'acme-basic') while (true) {}\ncallback(null, user, context);`,
          ),
        ],
      });
      const basic = `Basic ${Buffer.from(`acme-basic:${SECRET}`).toString('base64')}`;
      const { client_id: _c, client_secret: _s, ...form } = alice;
      const looping = tokenRequest(t.app, { ...form }, { authorization: basic }).then((res) => ({
        res,
        at: performance.now(),
      }));
      const web = await tokenRequest(t.app, alice);
      const webDone = performance.now();
      assert.equal(web.statusCode, 200);
      const { res, at } = await looping;
      assert.equal(res.statusCode, 403);
      assert.ok(webDone < at, 'the other login finished while the loop still ran');
      await setScripts(t, {});
      assert.equal((await tokenRequest(t.app, alice)).statusCode, 200);
    });
  });

  describe(`rules sandbox: no way out (${mode.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(sqlite);
      configureRules(t.rt, { loopSliceMs: mode.loopSliceMs });
    });
    after(() => t.close());
    afterEach(() => configureRules(t.rt, { ...DEFAULT_RULES_LIMITS, loopSliceMs: mode.loopSliceMs }));
    /** One isolate for the test's logins, so that each runs where the last one ran. */
    const oneIsolate = () => {
      configureRules(t.rt, { isolates: 1, warmIsolates: 1 });
      sandboxFor(t.rt).dispose();
    };

    it('has no process, require, module, Buffer, host bridge, or host Function through prototypes', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'probe',
            `const out = {
             process: typeof process, require: typeof require, module: typeof module, Buffer: typeof Buffer,
             bridge: typeof $fetch + typeof $input,
             viaFunction: Function('return typeof process')(),
             viaCallback: callback.constructor('return typeof process + typeof require')(),
             viaFetch: fetch.constructor.constructor('return typeof process')(),
             viaProto: Object.getPrototypeOf(context).constructor.constructor('return typeof globalThis.process')(),
           };
           import('node:fs').then(
             () => { out.import = 'loaded'; done(); },
             (e) => { out.import = e.name; done(); });
           function done() { context.accessToken['${NS}probe'] = out; callback(null, user, context); }`,
          ),
        ],
      });
      const { access } = await login(t);
      const probe = access[`${NS}probe`];
      assert.deepEqual(probe, {
        process: 'undefined',
        require: 'undefined',
        module: 'undefined',
        Buffer: 'undefined',
        bridge: 'undefinedundefined',
        viaFunction: 'undefined',
        viaCallback: 'undefinedundefined',
        viaFetch: 'undefined',
        viaProto: 'undefined',
        import: probe.import,
      });
      assert.notEqual(probe.import, 'loaded');
    });

    it("keeps no state between logins: a login's rules share its globals, as Auth0's global, and no other login sees them", async () => {
      // One isolate, so that the next login runs where this one ran.
      oneIsolate();
      await setScripts(t, {
        rules: [
          rule(
            'writer',
            `context.accessToken['${NS}before'] = [typeof leak, typeof ({}).polluted];
             globalThis.leak = 'secret'; Object.prototype.polluted = 1; callback(null, user, context);`,
          ),
          rule(
            'reader',
            `context.accessToken['${NS}seen'] = [typeof leak, typeof ({}).polluted]; callback(null, user, context);`,
          ),
        ],
      });
      for (let i = 0; i < 2; i++) {
        const { access } = await login(t);
        assert.deepEqual(access[`${NS}before`], ['undefined', 'undefined'], `login ${i + 1}`);
        assert.deepEqual(access[`${NS}seen`], ['string', 'number'], `login ${i + 1}`);
      }
      await setScripts(t, {
        rules: [
          rule('again', `context.accessToken['${NS}seen'] = typeof leak; callback(null, user, context);`),
        ],
      });
      assert.equal((await login(t)).access[`${NS}seen`], 'undefined');
    });

    it("built-ins a rule replaced, deleted or turned into accessors are not the next login's", async () => {
      oneIsolate();
      const checker = rule(
        'checker',
        `context.accessToken['${NS}seen'] = [
           [1, 2].map((x) => x * 2).join(','),
           Math.random() < 1,
           typeof ' a '.trim === 'function' ? ' a '.trim() : 'no trim',
           JSON.stringify({ a: 1 }),
           typeof Date,
         ];
         callback(null, user, context);`,
      );
      await setScripts(t, {
        rules: [
          rule(
            'changer',
            `Array.prototype.map = function () { return ['evil']; };
             Math.random = function () { return 4; };
             delete String.prototype.trim;
             Object.defineProperty(JSON, 'stringify', { get() { return () => 'evil'; }, configurable: true });
             Object.defineProperty(globalThis, 'Date', { value: 1, writable: true, configurable: true });
             callback(null, user, context);`,
          ),
          checker,
        ],
      });
      // The login's own later rule meets the changes (its own tenant's doing)…
      assert.deepEqual((await login(t)).access[`${NS}seen`], ['evil', false, 'no trim', 'evil', 'number']);
      // …the next login, on the same isolate, none of them.
      await setScripts(t, { rules: [checker] });
      assert.deepEqual((await login(t)).access[`${NS}seen`], ['2,4', true, 'a', '{"a":1}', 'function']);
    });
  });
}
