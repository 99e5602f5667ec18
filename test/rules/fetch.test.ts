import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, afterEach, before, describe, it } from 'node:test';
import { configureRules } from '../../src/rules/sandboxes.js';
import { DEFAULT_RULES_LIMITS, type FetchLookup } from '../../src/rules/types.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { action, login, NS, rule, setScripts } from './helpers.js';

const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

describe('fetch inside the sandbox', () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  let port: number;
  /** The test server, named literally with its port: loopback is reachable only so. */
  let listed: string;
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
        } else if (req.url === '/big-gzip') {
          // 2 MiB that travel as 2 KiB, without a length: counted as the script would read them.
          res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('x'.repeat(2 * 1024 * 1024)));
        } else if (req.url === '/away') {
          res.writeHead(302, { location: 'https://example.com/' }).end();
        } else if (req.url === '/inside') {
          res.writeHead(307, { location: `http://localhost:${port}/roles` }).end();
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 2000);
        } else {
          res.writeHead(404).end('no');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    listed = `127.0.0.1:${port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await t.close();
  });
  afterEach(() => configureRules(t.rt, DEFAULT_RULES_LIMITS));

  /** Runs `expr` (awaited) in an action; its value, or the error it threw as "Name: message". */
  async function inAction(expr: string, configs: Record<string, string> = { TESSERA_ALLOWED_HOSTS: listed }) {
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
      configs: { TESSERA_ALLOWED_HOSTS: `api.acme.test, ${listed}` },
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

  it('does not follow a redirect into the internal network; fetching its Location is checked again', async () => {
    const before = seen.length;
    const out = await inAction(
      `fetch('${base}/inside').then((r) => fetch(r.headers.location).then(() => 'reached', (e) => [r.status, e.message]))`,
      { TESSERA_ALLOWED_HOSTS: `${listed}, localhost` },
    );
    assert.deepEqual(out, [
      307,
      `fetch refused: port ${port} of "localhost" is not allowed (the allowlist gives it 80, 443; list localhost:${port} to allow it)`,
    ]);
    assert.deepEqual(
      seen.slice(before).map((r) => r.url),
      ['/inside'],
    );
  });

  it('caps the response size', async () => {
    assert.equal(
      await inAction(`fetch('${base}/big')`),
      'Error: fetch to 127.0.0.1 failed: the response is larger than 1048576 bytes',
    );
    assert.equal(
      await inAction(`fetch('${base}/big-gzip')`),
      'Error: fetch to 127.0.0.1 failed: the response is larger than 1048576 bytes',
    );
  });

  it('stops a slow answer at the fetch timeout', async () => {
    configureRules(t.rt, { fetchTimeoutMs: 200 });
    const started = performance.now();
    assert.equal(await inAction(`fetch('${base}/slow')`), 'Error: fetch to 127.0.0.1 timed out after 200 ms');
    assert.ok(performance.now() - started < 1500);
  });

  /** A resolver answering from a table (an answer per call when given a list of lists); counts its calls. */
  function fakeDns(table: Record<string, string[] | string[][]>) {
    const calls: string[] = [];
    const lookup: FetchLookup = async (name) => {
      const n = calls.filter((c) => c === name).length;
      calls.push(name);
      const entry = table[name];
      if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      const answer = Array.isArray(entry[0]) ? (entry as string[][])[Math.min(n, entry.length - 1)]! : entry;
      return (answer as string[]).map((address) => ({ address }));
    };
    configureRules(t.rt, { fetchLookup: lookup });
    return calls;
  }

  describe('no SSRF: the internal network stays out of reach', () => {
    it('refuses localhost: its port is not listed, and when listed, it resolves to loopback', async () => {
      const before = seen.length;
      assert.equal(
        await inAction(`fetch('http://localhost:${port}/roles')`, { TESSERA_ALLOWED_HOSTS: 'localhost' }),
        `Error: fetch refused: port ${port} of "localhost" is not allowed (the allowlist gives it 80, 443; list localhost:${port} to allow it)`,
      );
      const out = await inAction(`fetch('http://localhost:${port}/roles')`, {
        TESSERA_ALLOWED_HOSTS: `localhost:${port}`,
      });
      assert.match(
        out,
        /^Error: fetch refused: localhost resolves to (127\.0\.0\.1|::1) \(loopback\)(, (127\.0\.0\.1|::1) \(loopback\))?; name the address in the allowlist with its port \(e\.g\. (127\.0\.0\.1|\[::1\]):\d+\) to allow it$/,
      );
      assert.equal(seen.length, before);
    });

    it('refuses an allowed name that resolves to 127.0.0.1, in any spelling', async () => {
      const before = seen.length;
      // [the answer, as the refusal shows it, the allowlist entry it suggests]
      const answers: [string, string, string][] = [
        ['127.0.0.1', '127.0.0.1 (loopback)', '127.0.0.1'],
        ['::ffff:127.0.0.1', '::ffff:7f00:1 (IPv4-mapped 127.0.0.1, loopback)', '127.0.0.1'],
        ['::127.0.0.1', '::7f00:1 (IPv4-compatible 127.0.0.1, loopback)', '[::7f00:1]'],
        ['64:ff9b::7f00:1', '64:ff9b::7f00:1 (NAT64 127.0.0.1, loopback)', '[64:ff9b::7f00:1]'],
      ];
      for (const [answer, shown, entry] of answers) {
        fakeDns({ 'api.acme.test': [answer] });
        assert.equal(
          await inAction(`fetch('http://api.acme.test:${port}/roles')`, {
            TESSERA_ALLOWED_HOSTS: `api.acme.test:${port}`,
          }),
          `Error: fetch refused: api.acme.test resolves to ${shown}; name the address in the allowlist with its port (e.g. ${entry}:${port}) to allow it`,
          answer,
        );
      }
      // A resolver answering 2130706433 or 0x7f.1 would have the connection resolve again: never.
      for (const answer of ['2130706433', '0x7f.1', '0.0.0.0']) {
        fakeDns({ 'api.acme.test': [answer] });
        assert.match(
          await inAction(`fetch('http://api.acme.test/roles')`, { TESSERA_ALLOWED_HOSTS: 'api.acme.test' }),
          new RegExp(
            `^Error: fetch refused: api\\.acme\\.test resolves to ${answer.replace(/\./g, '\\.')} \\(.*, never a destination\\)$`,
          ),
          answer,
        );
      }
      assert.equal(seen.length, before);
    });

    it('refuses loopback URLs in other spellings when the allowlist does not name the address', async () => {
      const before = seen.length;
      const configs = { TESSERA_ALLOWED_HOSTS: `localhost:${port}, api.acme.test:${port}` };
      for (const host of ['2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]']) {
        assert.equal(
          await inAction(`fetch('http://${host}:${port}/roles')`, configs),
          'Error: fetch refused: host "127.0.0.1" is not allowed (list it in the rules configuration key TESSERA_ALLOWED_HOSTS)',
          host,
        );
      }
      assert.equal(
        await inAction(`fetch('http://[::1]:${port}/roles')`, configs),
        'Error: fetch refused: host "::1" is not allowed (list it in the rules configuration key TESSERA_ALLOWED_HOSTS)',
      );
      // Nor do such spellings in the allowlist name the address.
      assert.match(
        await inAction(`fetch('${base}/roles')`, {
          TESSERA_ALLOWED_HOSTS: `2130706433:${port}, 0x7f.1:${port}`,
        }),
        /^Error: fetch refused: host "127\.0\.0\.1" is not allowed/,
      );
      assert.equal(seen.length, before);
    });

    it('reaches a non-public address only on the ports the allowlist names it with', async () => {
      const before = seen.length;
      assert.equal(
        await inAction(`fetch('${base}/roles')`, { TESSERA_ALLOWED_HOSTS: '127.0.0.1' }),
        `Error: fetch refused: port ${port} of "127.0.0.1" is not allowed (the allowlist gives it 80, 443; list 127.0.0.1:${port} to allow it)`,
      );
      fakeDns({ 'api.acme.test': ['127.0.0.1'] });
      assert.equal(
        await inAction(`fetch('http://api.acme.test:${port}/roles')`, {
          TESSERA_ALLOWED_HOSTS: `api.acme.test:${port}, 127.0.0.1`,
        }),
        `Error: fetch refused: api.acme.test resolves to 127.0.0.1 (loopback, named in the allowlist for ports 80, 443 only); name the address in the allowlist with its port (e.g. 127.0.0.1:${port}) to allow it`,
      );
      assert.equal(seen.length, before);
      // Named with its port, the address is reachable, by itself or through the name.
      assert.deepEqual(
        await inAction(`fetch('http://api.acme.test:${port}/roles').then((r) => r.json())`, {
          TESSERA_ALLOWED_HOSTS: `api.acme.test:${port}, 127.0.0.1:${port}`,
        }),
        { roles: ['admin', 'ops'] },
      );
      assert.equal(seen.length, before + 1);
    });

    it('connects to the address it checked: a name that rebinds to 127.0.0.1 after the check cannot reach it', async () => {
      // 127.0.0.2 stands for the harmless first answer (a public address in a real attack:
      // tests never leave the machine); the allowlist names it so that it passes the check.
      const other = createServer((_req, res) => res.end('the checked address'));
      await new Promise<void>((r) => other.listen(port, '127.0.0.2', r));
      try {
        const calls = fakeDns({ 'rebind.acme.test': [['127.0.0.2'], ['127.0.0.1']] });
        const before = seen.length;
        const out = await inAction(
          `(async () => [
             await fetch('http://rebind.acme.test:${port}/roles').then((r) => r.text()),
             await fetch('http://rebind.acme.test:${port}/roles').then((r) => r.text(), (e) => e.message),
           ])()`,
          { TESSERA_ALLOWED_HOSTS: `rebind.acme.test:${port}, 127.0.0.2:${port}` },
        );
        assert.deepEqual(out, [
          'the checked address',
          `fetch refused: rebind.acme.test resolves to 127.0.0.1 (loopback); name the address in the allowlist with its port (e.g. 127.0.0.1:${port}) to allow it`,
        ]);
        // One resolution per fetch: the connection does not ask DNS again.
        assert.deepEqual(calls, ['rebind.acme.test', 'rebind.acme.test']);
        assert.equal(seen.length, before);
      } finally {
        other.closeAllConnections();
        await new Promise((r) => other.close(r));
      }
    });

    it('stops a resolver that does not answer at the fetch timeout', async () => {
      configureRules(t.rt, { fetchTimeoutMs: 200, fetchLookup: () => new Promise(() => {}) });
      assert.equal(
        await inAction(`fetch('http://api.acme.test/roles')`, { TESSERA_ALLOWED_HOSTS: 'api.acme.test' }),
        'Error: fetch to api.acme.test timed out after 200 ms',
      );
    });

    it('refuses a Host header (another virtual host on the checked address)', async () => {
      const before = seen.length;
      assert.equal(
        await inAction(`fetch('${base}/roles', { headers: { Host: 'admin.internal' } })`),
        'TypeError: fetch: the host header comes from the URL',
      );
      assert.equal(seen.length, before);
    });
  });
});
