import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { IpList, normalizeIp, parseIpRange } from '../../src/protection/ip.js';
import type { Store } from '../../src/store/db.js';
import { listEvents } from '../../src/store/repos/events.js';
import { TestClock } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import {
  BACKEND,
  BRUTE_FORCE_NO_EMAIL_BODY,
  type Env,
  type LoginOptions,
  type Node,
  login,
  newEnv,
  newUser,
  seededStore,
  startNode,
  withSetting,
  wrong,
} from './helpers.js';

describe('IP addresses and ranges', () => {
  it('spells an address one way: IPv4-mapped IPv6 is IPv4, IPv6 lower-case', () => {
    assert.equal(normalizeIp('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(normalizeIp(' 2001:DB8::1 '), '2001:db8::1');
    assert.equal(normalizeIp('192.0.2.300'), undefined);
    assert.equal(normalizeIp('example.com'), undefined);
    assert.deepEqual(parseIpRange('::ffff:10.0.0.0/104'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    assert.equal(parseIpRange('10.0.0.0/33'), undefined);
  });

  it('matches addresses against addresses and CIDR ranges of both families', () => {
    const list = new IpList(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
    for (const ip of ['10.1.2.3', '192.0.2.7', '2001:db8:ffff::1']) assert.ok(list.has(ip), ip);
    for (const ip of ['11.0.0.1', '192.0.2.8', '2001:db9::1']) assert.ok(!list.has(ip), ip);
    assert.throws(() => new IpList(['10.0.0.0/8', 'nope']), /"nope" is not an IP address or a CIDR range/);
  });

  it('names TESSERA_TRUST_PROXY when it holds something else', () => {
    assert.deepEqual(loadConfig({ TESSERA_TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy, [
      '10.0.0.0/8',
      '::1',
    ]);
    assert.throws(
      () => loadConfig({ TESSERA_TRUST_PROXY: '10.0.0.0/8,proxy.local' }),
      (e: Error) => e instanceof ConfigError && /TESSERA_TRUST_PROXY .*"proxy\.local"/.test(e.message),
    );
  });
});

describe("the end user's IP on the token endpoint", () => {
  let store: Store;
  let env: Env;
  let node: Node;
  const clock = new TestClock();

  before(async () => {
    store = await seededStore(storeKinds[0]!, {
      bruteForceProtection: { enabled: false },
      suspiciousIpThrottling: { enabled: false },
    });
    env = newEnv('memory', { TESSERA_TRUST_PROXY: '10.0.0.0/8, fd00::/8' });
    node = await startNode(store, env, clock);
  });
  after(async () => {
    await node.stop();
    await store.close();
  });

  /** Logs in and returns the ip and client_ip of the success event. */
  async function ips(o: LoginOptions) {
    const res = await login(node.app, o);
    assert.equal(res.statusCode, 200, res.body);
    const [e] = await listEvents(store.db, { type: 'sepft', limit: 1 });
    return { ip: e!.ip, client_ip: e!.client_ip };
  }

  const forwarded = (ip: string) => ({ 'auth0-forwarded-for': ip });

  it('believes auth0-forwarded-for from a confidential client trusted for it', async () => {
    const got = await ips({ client: BACKEND, ip: '192.0.2.1', headers: forwarded('198.18.0.7') });
    assert.deepEqual(got, { ip: '198.18.0.7', client_ip: '192.0.2.1' });
  });

  it('ignores it from a confidential client without is_token_endpoint_ip_header_trusted', async () => {
    const got = await ips({ client: 'acme-web', ip: '192.0.2.1', headers: forwarded('198.18.0.7') });
    assert.deepEqual(got, { ip: '192.0.2.1', client_ip: null });
    const junk = await ips({ client: 'acme-web', ip: '192.0.2.1', headers: forwarded('not an ip') });
    assert.equal(junk.ip, '192.0.2.1');
  });

  it('ignores it from a public client', async () => {
    const got = await ips({
      client: 'acme-spa',
      publicClient: true,
      ip: '192.0.2.2',
      headers: forwarded('198.18.0.7'),
    });
    assert.deepEqual(got, { ip: '192.0.2.2', client_ip: null });
  });

  for (const value of ['not an ip', '198.18.0.7, 198.18.0.8', '', '198.18.0.999']) {
    it(`answers a trusted client's malformed header (${JSON.stringify(value)}) with a 400`, async () => {
      const res = await login(node.app, { client: BACKEND, headers: forwarded(value) });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Invalid header auth0-forwarded-for: must be one IP address',
      });
    });
  }

  it('reads X-Forwarded-For from the right behind trusted proxies, never the leftmost', async () => {
    const xff = { 'x-forwarded-for': '6.6.6.6, 198.51.100.20, 10.0.0.9' };
    assert.deepEqual(await ips({ ip: '10.0.0.5', headers: xff }), { ip: '198.51.100.20', client_ip: null });
    assert.deepEqual(await ips({ ip: '::ffff:10.0.0.5', headers: xff }), {
      ip: '198.51.100.20',
      client_ip: null,
    });
    assert.deepEqual(await ips({ ip: 'fd00::1', headers: { 'x-forwarded-for': '[2001:db8::7]:4711' } }), {
      ip: '2001:db8::7',
      client_ip: null,
    });
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    const got = await ips({ ip: '203.0.113.50', headers: { 'x-forwarded-for': '198.51.100.20' } });
    assert.deepEqual(got, { ip: '203.0.113.50', client_ip: null });
  });

  it('answers a malformed X-Forwarded-For from a trusted proxy with a 400', async () => {
    const res = await login(node.app, {
      ip: '10.0.0.5',
      headers: { 'x-forwarded-for': '198.51.100.20, garbage' },
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), {
      error: 'invalid_request',
      error_description: 'Invalid header X-Forwarded-For: expected a list of IP addresses',
    });
  });

  it('combines both: the backend behind the proxy is client_ip, the header is ip', async () => {
    const got = await ips({
      client: BACKEND,
      ip: '10.0.0.5',
      headers: { 'x-forwarded-for': '192.0.2.44', ...forwarded('198.18.0.9') },
    });
    assert.deepEqual(got, { ip: '198.18.0.9', client_ip: '192.0.2.44' });
  });

  it("counts a trusted backend's logins per end-user IP; allowlisting the backend has no effect", async () => {
    const kim = await newUser(node.rt, 'kim');
    const setting = {
      bruteForceProtection: {
        enabled: true,
        max_attempts: 3,
        shields: ['block'],
        allowlist: ['192.0.2.0/24'],
      },
      suspiciousIpThrottling: { enabled: false },
    };
    await withSetting(node.rt, setting, async () => {
      const via = (user: string) => ({ client: BACKEND, ip: '192.0.2.1', headers: forwarded(user) });
      for (let i = 0; i < 3; i++) await login(node.app, wrong({ username: kim.email, ...via('198.18.1.1') }));
      const blocked = await login(node.app, {
        username: kim.email,
        password: kim.password,
        ...via('198.18.1.1'),
      });
      assert.equal(blocked.statusCode, 429);
      assert.deepEqual(blocked.json(), BRUTE_FORCE_NO_EMAIL_BODY);
      const other = await login(node.app, {
        username: kim.email,
        password: kim.password,
        ...via('198.18.1.2'),
      });
      assert.equal(other.statusCode, 200, 'another end user behind the same backend');
      const [limit] = await listEvents(store.db, { type: 'limit_wc', limit: 1 });
      assert.equal(limit!.ip, '198.18.1.1');
      assert.equal(limit!.client_ip, '192.0.2.1');
    });
  });
});
