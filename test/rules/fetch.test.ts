import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { configureRules } from '../../src/rules/isolate.js';
import { DEFAULT_RULES_LIMITS } from '../../src/rules/types.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { action, login, NS, rule, setScripts } from './helpers.js';

const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

describe('fetch inside the sandbox', () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  const seen: { method: string; url: string; auth?: string; body: string }[] = [];

  before(async () => {
    t = await startTestApp(sqlite);
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
        if (req.url === '/roles') {
          res.setHeader('content-type', 'application/json');
          res.setHeader('x-trace', 'abc');
          res.end(JSON.stringify({ roles: ['admin', 'ops'] }));
        } else if (req.url === '/big') {
          res.end('x'.repeat(2 * 1024 * 1024));
        } else if (req.url === '/away') {
          res.writeHead(302, { location: 'https://example.com/' }).end();
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 2000);
        } else {
          res.writeHead(404).end('no');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await t.close();
  });
  afterEach(() => configureRules(t.rt, DEFAULT_RULES_LIMITS));

  /** Runs `expr` (awaited) in an action; its value, or the error it threw as "Name: message". */
  async function inAction(
    expr: string,
    configs: Record<string, string> = { TESSERA_ALLOWED_HOSTS: '127.0.0.1' },
  ) {
    await setScripts(t, {
      actions: [
        action(
          'fetcher',
          `let out;
           try { out = await (${expr}); } catch (e) { out = e.name + ': ' + e.message; }
           api.accessToken.setCustomClaim('${NS}out', out);`,
        ),
      ],
      configs,
    });
    return (await login(t)).access[`${NS}out`];
  }

  it('reaches an allowed host and answers status, ok, headers, text() and json()', async () => {
    const out = await inAction(
      `fetch('${base}/roles', { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{"q":1}' })
         .then(async (r) => ({ status: r.status, ok: r.ok, type: r.headers['content-type'], trace: r.headers['x-trace'], json: await r.json() }))`,
    );
    assert.deepEqual(out, {
      status: 200,
      ok: true,
      type: 'application/json',
      trace: 'abc',
      json: { roles: ['admin', 'ops'] },
    });
    assert.deepEqual(seen.at(-1), { method: 'POST', url: '/roles', auth: 'Bearer k', body: '{"q":1}' });
  });

  it('works from a rule too, with the callback after the answer', async () => {
    await setScripts(t, {
      rules: [
        rule(
          'roles',
          `fetch('${base}/roles').then((r) => r.json()).then((b) => {
             context.accessToken['${NS}roles'] = b.roles;
             callback(null, user, context);
           }, callback);`,
        ),
      ],
      configs: { TESSERA_ALLOWED_HOSTS: 'api.acme.test, 127.0.0.1' },
    });
    assert.deepEqual((await login(t)).access[`${NS}roles`], ['admin', 'ops']);
  });

  it('refuses hosts that are not allowed, and other schemes, without any request', async () => {
    const before = seen.length;
    assert.equal(
      await inAction(`fetch('https://example.com/')`),
      'Error: fetch refused: host "example.com" is not allowed (list it in the rules configuration key TESSERA_ALLOWED_HOSTS)',
    );
    assert.equal(
      await inAction(`fetch('${base}/roles')`, {}),
      'Error: fetch refused: host "127.0.0.1" is not allowed (list it in the rules configuration key TESSERA_ALLOWED_HOSTS)',
    );
    assert.equal(
      await inAction(`fetch('file:///etc/passwd')`),
      'Error: fetch refused: only http and https URLs are allowed, not file:',
    );
    assert.equal(seen.length, before);
  });

  it('does not follow redirects (they could leave the allowlist)', async () => {
    const out = await inAction(`fetch('${base}/away').then((r) => [r.status, r.headers.location])`);
    assert.deepEqual(out, [302, 'https://example.com/']);
  });

  it('caps the response size', async () => {
    assert.equal(
      await inAction(`fetch('${base}/big')`),
      'Error: fetch to 127.0.0.1 failed: the response is larger than 1048576 bytes',
    );
  });

  it('stops a slow answer at the fetch timeout', async () => {
    configureRules(t.rt, { fetchTimeoutMs: 200 });
    const started = performance.now();
    assert.equal(await inAction(`fetch('${base}/slow')`), 'Error: fetch to 127.0.0.1 timed out after 200 ms');
    assert.ok(performance.now() - started < 1500);
  });
});
