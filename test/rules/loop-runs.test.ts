import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { configureRules } from '../../src/rules/sandboxes.js';
import { IsolateSlot } from '../../src/rules/slot.js';
import { DEFAULT_RULES_LIMITS } from '../../src/rules/types.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { action, login, NS, rule, setScripts } from './helpers.js';

const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;
/** Rule source that keeps its thread busy for `ms` (its own CPU: a run past its slice). */
const spin = (ms: number) => `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;
/** A rule that logs `<name> <claim>`, runs 30 ms past its slice, and sets the ID token claim `claim`. */
const busyRule = (name: string, claim: string) =>
  rule(
    name,
    `console.log('${name} ${claim}');
     ${spin(30)}
     context.idToken['${NS}${claim}'] = true;
     callback(null, user, context);`,
  );
const MOVED =
  "a tenant script was run again on its isolate's thread, where this version runs for the next minute (rules.loopOffMs)";

/**
 * Scripts start on the event loop (loop-runs.ts). A run there that calls
 * fetch or runs past its slice is dropped and the script runs again from the
 * start on its isolate's thread: nothing of the first run may be seen
 * (requests, console output, outcome), and the version is moved for a while.
 */
describe('rules sandbox: scripts on the event loop', () => {
  let t: TestApp;
  let server: Server;
  let listed: string;
  let requests = 0;
  let info: { obj: any; msg: string }[];

  before(async () => {
    t = await startTestApp(sqlite);
    server = createServer((_req, res) => {
      requests++;
      res.end(String(requests));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    listed = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await t.close();
  });
  beforeEach(() => {
    requests = 0;
    info = [];
    (t.rt.log as any).info = (obj: any, msg: string) => info.push({ obj, msg });
  });
  afterEach(() => configureRules(t.rt, DEFAULT_RULES_LIMITS));

  const moves = () => info.filter((l) => l.msg === MOVED);
  const consoleLines = () =>
    info.filter((l) => l.msg === 'console output of a tenant script').flatMap((l) => l.obj.lines);

  it('a rule that calls fetch: one request per login, the outcome of the run that fetched', async () => {
    // On the loop, fetch rejects: this rule would then call back with a claim saying so.
    await setScripts(t, {
      rules: [
        rule(
          'fetcher',
          `console.log('starting');
           fetch('http://${listed}/n').then((r) => r.text()).then(
             (n) => { context.accessToken['${NS}n'] = n; callback(null, user, context); },
             (e) => { context.accessToken['${NS}failed'] = String(e); callback(null, user, context); });`,
        ),
      ],
      configs: { TESSERA_ALLOWED_HOSTS: listed },
    });
    const first = await login(t);
    assert.equal(first.access[`${NS}n`], '1');
    assert.equal(first.access[`${NS}failed`], undefined);
    const second = await login(t);
    assert.equal(second.access[`${NS}n`], '2');
    assert.equal(requests, 2);
    // The dropped run's console output is not logged: one line per login.
    assert.deepEqual(consoleLines(), ['starting', 'starting']);
    assert.deepEqual(
      moves().map((l) => l.obj),
      [
        {
          script: 'Rule "fetcher"',
          reason: 'it called fetch, which cannot be answered on the event loop',
        },
      ],
    );
  });

  it('a run dropped for calling fetch goes with its context: the run again sees nothing it set', async () => {
    await setScripts(t, {
      rules: [
        rule(
          'counter',
          `globalThis.runs = (globalThis.runs || 0) + 1;
           const done = () => { context.accessToken['${NS}runs'] = runs; callback(null, user, context); };
           fetch('http://${listed}/n').then(done, done);`,
        ),
      ],
      configs: { TESSERA_ALLOWED_HOSTS: listed },
    });
    assert.equal((await login(t)).access[`${NS}runs`], 1);
    assert.equal(moves().length, 1);
    assert.equal(requests, 1);
  });

  it('an action that fetches after an await is moved the same way', async () => {
    await setScripts(t, {
      actions: [
        action(
          'fetching action',
          `await Promise.resolve();
           const r = await fetch('http://${listed}/n');
           api.accessToken.setCustomClaim('${NS}n', await r.text());`,
        ),
      ],
      configs: { TESSERA_ALLOWED_HOSTS: listed },
    });
    assert.equal((await login(t)).access[`${NS}n`], '1');
    assert.equal(requests, 1);
    assert.equal(moves().length, 1);
  });

  it('a rule that fetches from a timer: the timer runs on the thread, where fetch works; nothing moves', async () => {
    await setScripts(t, {
      rules: [
        rule(
          'timer fetcher',
          `setTimeout(() => {
             fetch('http://${listed}/n').then((r) => r.text()).then(
               (n) => { context.accessToken['${NS}n'] = n; callback(null, user, context); },
               (e) => { context.accessToken['${NS}failed'] = String(e); callback(null, user, context); });
           }, 1);`,
        ),
      ],
      configs: { TESSERA_ALLOWED_HOSTS: listed },
    });
    const { access } = await login(t);
    assert.equal(access[`${NS}failed`], undefined);
    assert.equal(access[`${NS}n`], '1');
    assert.equal(requests, 1);
    assert.deepEqual(moves(), []);
  });

  it('a rule past its slice runs again off the loop and succeeds; that version stays off it for now', async () => {
    configureRules(t.rt, { loopSliceMs: 5 });
    const busy = (claim: string) => busyRule('busy', claim);
    await setScripts(t, { rules: [busy('a')] });
    assert.equal((await login(t, { scope: 'openid' })).id?.[`${NS}a`], true);
    assert.equal((await login(t, { scope: 'openid' })).id?.[`${NS}a`], true);
    assert.deepEqual(
      moves().map((l) => l.obj),
      [{ script: 'Rule "busy"', reason: 'it ran past 5 ms on the event loop' }],
    );
    assert.deepEqual(consoleLines(), ['busy a', 'busy a']);
    // A new version of the script starts on the loop again, and is moved again.
    await setScripts(t, { rules: [busy('b')] });
    assert.equal((await login(t, { scope: 'openid' })).id?.[`${NS}b`], true);
    assert.equal(moves().length, 2);
  });

  it('a rule held past its slice by the machine, not by its own CPU, runs again off the loop but is not moved', async () => {
    configureRules(t.rt, { loopSliceMs: 5 });
    // The isolate's clock says the slice went by while its thread used no CPU: it waited for a core.
    const cpuMs = IsolateSlot.prototype.cpuMs;
    IsolateSlot.prototype.cpuMs = () => 0;
    try {
      await setScripts(t, {
        rules: [busyRule('held up', 'held')],
      });
      assert.equal((await login(t, { scope: 'openid' })).id?.[`${NS}held`], true);
      assert.equal((await login(t, { scope: 'openid' })).id?.[`${NS}held`], true);
    } finally {
      IsolateSlot.prototype.cpuMs = cpuMs;
    }
    // Each login ran it again on the thread (one console line each: the dropped run's is not
    // logged), and the version was never moved: the next login tried the loop again.
    assert.deepEqual(consoleLines(), ['held up held', 'held up held']);
    assert.deepEqual(moves(), []);
    // With its real CPU counted, the same version is moved at once.
    assert.equal((await login(t, { scope: 'openid' })).id?.[`${NS}held`], true);
    assert.deepEqual(
      moves().map((l) => l.obj),
      [{ script: 'Rule "held up"', reason: 'it ran past 5 ms on the event loop' }],
    );
  });

  it('the rules after a moved one still run on the loop, in the same login', async () => {
    configureRules(t.rt, { loopSliceMs: 5 });
    await setScripts(t, {
      rules: [
        rule('slow', `${spin(20)} callback(null, user, context);`),
        rule('claims', `context.accessToken['${NS}after'] = 'yes'; callback(null, user, context);`),
      ],
    });
    assert.equal((await login(t)).access[`${NS}after`], 'yes');
    assert.deepEqual(
      moves().map((l) => l.obj.script),
      ['Rule "slow"'],
    );
  });

  it('with loopSliceMs 0 every script runs on its thread: nothing is moved, fetch works', async () => {
    configureRules(t.rt, { loopSliceMs: 0 });
    await setScripts(t, {
      rules: [
        rule(
          'fetcher (no loop)',
          `fetch('http://${listed}/n').then((r) => r.text()).then((n) => {
             context.accessToken['${NS}n'] = n; callback(null, user, context); }, callback);`,
        ),
        rule('busy (no loop)', `${spin(20)} callback(null, user, context);`),
      ],
      configs: { TESSERA_ALLOWED_HOSTS: listed },
    });
    assert.equal((await login(t)).access[`${NS}n`], '1');
    assert.equal(requests, 1);
    assert.deepEqual(moves(), []);
  });
});
