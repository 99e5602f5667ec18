import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { listEvents } from '../../src/store/repos/events.js';
import { startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { alice, login, NS, rule, setScripts } from './helpers.js';

const FAILED = {
  error: 'access_denied',
  error_description: 'The login was refused because a rule or action failed.',
};

// The sandbox does not depend on the database: SQLite is enough here.
const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

/** A rule that reports `probe` (an expression) as a claim. */
const report = (name: string, probe: string) =>
  rule(name, `context.accessToken['${NS}probe'] = (${probe}); callback(null, user, context);`);

/** What `fn` threw inside the sandbox: `name: message`, or `no error`. */
const thrown = (fn: string) =>
  `(() => { try { (${fn})(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } })()`;

describe('rules sandbox: no memory outside the heap limit', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(sqlite);
  });
  after(() => t.close());
  beforeEach(() => setScripts(t, {}));

  it('a WebAssembly memory bomb fails its login closed; the audit event says why', async () => {
    await setScripts(t, {
      rules: [
        rule(
          'wasm-bomb',
          `const m = new WebAssembly.Memory({ initial: 16384 });
           new Uint8Array(m.buffer).fill(1);
           callback(null, user, context);`,
        ),
      ],
    });
    for (let i = 0; i < 2; i++) {
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.statusCode, 403, res.body);
      assert.deepEqual(res.json(), FAILED);
    }
    const [event] = await listEvents(t.rt.store.db, { limit: 1 });
    assert.equal(event!.type, 'fepft');
    assert.equal(
      (event!.details as { reason?: string }).reason,
      'Rule "wasm-bomb": ReferenceError: WebAssembly is not defined',
    );
  });

  it('WebAssembly, SharedArrayBuffer and Atomics cannot be found again', async () => {
    const names = ['WebAssembly', 'SharedArrayBuffer', 'Atomics'];
    const ways = names.map((n) => [
      `typeof ${n}`,
      `typeof globalThis.${n}`,
      `typeof Function('return this')().${n}`,
      `callback.constructor('return typeof ${n}')()`,
      `typeof Object.getPrototypeOf(context).constructor.constructor('return this')().${n}`,
      `String(Object.getOwnPropertyNames(globalThis).includes('${n}'))`,
    ]);
    await setScripts(t, { rules: [report('probe', `[${ways.flat().join(', ')}]`)] });
    const { access } = await login(t);
    assert.deepEqual(access[`${NS}probe`], [
      ...Array(5).fill('undefined'),
      'false',
      ...Array(5).fill('undefined'),
      'false',
      ...Array(5).fill('undefined'),
      'false',
    ]);
  });

  it('ArrayBuffers are fixed-length and counted, however the constructor is reached', async () => {
    const resizable = [
      'ArrayBuffer',
      'globalThis.ArrayBuffer',
      'new Uint8Array(8).buffer.constructor',
      'Object.getPrototypeOf(new Uint8Array(8).buffer).constructor',
      'Function("return this")().ArrayBuffer',
    ].map((c) => thrown(`() => new (${c})(1, { maxByteLength: 2 ** 30 })`));
    const probes = [
      ...resizable,
      thrown('() => { class Big extends ArrayBuffer {} new Big(1, { maxByteLength: 2 ** 30 }); }'),
      // Past the heap limit: refused by isolated-vm's allocator.
      thrown('() => new ArrayBuffer(2 ** 30)'),
      thrown('() => new Uint8Array(2 ** 29)'),
      // Ordinary buffers and subclasses keep working.
      'new ArrayBuffer(16).byteLength',
      '(() => { class Mine extends ArrayBuffer {} const b = new Mine(4); return b instanceof ArrayBuffer && b.byteLength; })()',
      'new Uint8Array(new ArrayBuffer(8).slice(2)).length',
      'ArrayBuffer.isView(new Uint8Array(1))',
    ];
    await setScripts(t, { rules: [report('probe', `[${probes.join(', ')}]`)] });
    const { access } = await login(t);
    const refused = 'TypeError: resizable ArrayBuffers are not available in the sandbox';
    assert.deepEqual(access[`${NS}probe`], [
      ...Array(6).fill(refused),
      'RangeError: Array buffer allocation failed',
      'RangeError: Array buffer allocation failed',
      16,
      4,
      6,
      true,
    ]);
  });

  it('a script may create at most 100 Intl objects; locale methods keep working', async () => {
    const probes = [
      thrown(
        '() => { for (let i = 0; i < 100000; i++) new Intl.DateTimeFormat("en", { timeZone: "UTC" }); }',
      ),
      thrown('() => { for (let i = 0; i < 1000; i++) Intl.NumberFormat("en"); }'),
      thrown(
        '() => { const C = Object.getPrototypeOf(new Intl.Collator()).constructor; for (let i = 0; i < 1000; i++) new C(); }',
      ),
      thrown('() => { const s = new Intl.Segmenter(); for (let i = 0; i < 1000; i++) s.segment("ab"); }'),
      thrown('() => { const l = new Intl.Locale("en"); for (let i = 0; i < 1000; i++) l.maximize(); }'),
      "new Date(0).toLocaleString('en-US', { timeZone: 'UTC' })",
      "'a'.localeCompare('b', 'en')",
    ];
    // Each probe runs in a rule of its own: a fresh context, a fresh count.
    const rules = probes.map((p, i) =>
      rule(`intl-${i}`, `context.accessToken['${NS}p${i}'] = ${p}; callback(null, user, context);`),
    );
    rules.push(
      report(
        'intl-ok',
        `(() => { const f = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC' }); return [f instanceof Intl.DateTimeFormat, f.format(new Date(0)), [...new Intl.Segmenter().segment('ab')].length]; })()`,
      ),
    );
    await setScripts(t, { rules });
    const { access } = await login(t);
    const cap = 'RangeError: a script may create at most 100 Intl objects';
    assert.deepEqual(
      probes.map((_, i) => access[`${NS}p${i}`]),
      [cap, cap, cap, cap, cap, '1/1/1970, 12:00:00 AM', -1],
    );
    assert.deepEqual(access[`${NS}probe`], [true, '1/1/1970', 2]);
  });
});
