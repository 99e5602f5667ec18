import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IpList, ipCountingKey, normalizeIp } from '../../src/protection/ip.js';
import { compilePolicy } from '../../src/protection/policy.js';
import type { Store } from '../../src/store/db.js';
import { listBlocks } from '../../src/store/repos/blocks.js';
import { listEvents } from '../../src/store/repos/events.js';
import { shapeErrors } from '../../src/tenant/schema.js';
import { TestClock } from '../helpers/app.js';
import {
  BRUTE_FORCE_BODY,
  type Env,
  type Node,
  SUSPICIOUS_IP_BODY,
  WRONG_BODY,
  cleanRedis,
  login,
  matrix,
  newEnv,
  seededStore,
  startNode,
  withSetting,
  wrong,
} from './helpers.js';

describe('IPv6 addresses: one spelling, counted per network', () => {
  it('writes every spelling of an address one way', () => {
    for (const [spelling, canonical] of [
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8::0:1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::ffff:192.0.2.1', '192.0.2.1'],
      ['::FFFF:c000:0201', '192.0.2.1'],
      ['fe80::1%eth0', 'fe80::1'],
      [' 192.0.2.1 ', '192.0.2.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['255.255.255.255', '255.255.255.255'],
    ]) {
      assert.equal(normalizeIp(spelling!), canonical, spelling);
    }
    for (const bad of ['127.1', '0x7f.0.0.1', '192.0.2.300', '192.0.2.01', '192.0.2.1.', 'example.com', '']) {
      assert.equal(normalizeIp(bad), undefined, bad);
    }
  });

  it('counts IPv6 per /64 by default, IPv4 per address, and per the setting', () => {
    assert.equal(ipCountingKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(ipCountingKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
    assert.equal(ipCountingKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(ipCountingKey(' 192.0.2.1 ', 128), '192.0.2.1');
    assert.equal(ipCountingKey('192.0.2.01'), '192.0.2.01');
    assert.equal(ipCountingKey('2001:db8:1:2::1', 48), '2001:db8:1::/48');
    assert.equal(ipCountingKey('2001:db8:1:2::1', 128), '2001:db8:1:2::1');
    assert.equal(compilePolicy(undefined).ipv6Prefix, 64);
    assert.equal(compilePolicy({ ipv6PrefixLength: 56 }).ipv6Prefix, 56);
  });

  it('matches allowlists in any spelling', () => {
    const list = new IpList(['2001:DB8:5::/48', '::ffff:198.51.100.7', '2001:db8::9']);
    for (const ip of ['2001:0db8:0005:ffff::1', '198.51.100.7', '::ffff:198.51.100.7', '2001:db8:0::9'])
      assert.ok(list.has(ip), ip);
    for (const ip of ['2001:db8:6::1', '198.51.100.8', '2001:db8::a']) assert.ok(!list.has(ip), ip);
  });

  it('accepts ipv6PrefixLength in the tenant file, 1 to 128', () => {
    assert.deepEqual(shapeErrors({ attackProtection: { ipv6PrefixLength: 56 } }), []);
    assert.match(shapeErrors({ attackProtection: { ipv6PrefixLength: 129 } }).join('\n'), /ipv6PrefixLength/);
  });
});

const THROTTLE = {
  bruteForceProtection: { enabled: false },
  suspiciousIpThrottling: {
    enabled: true,
    shields: ['block'],
    allowlist: ['2001:db8:aaaa::/48'],
    stage: { 'pre-login': { max_attempts: 4, rate: 60_000 } },
  },
};

for (const m of matrix) {
  describe(`IPv6 throttling and brute force (${m.name})`, () => {
    let store: Store;
    let env: Env;
    let node: Node;
    const clock = new TestClock();
    before(async () => {
      env = newEnv(m.counters);
      store = await seededStore(m.store, THROTTLE);
      node = await startNode(store, env, clock);
    });
    after(async () => {
      await node.stop();
      await store.close();
      await cleanRedis(env);
    });

    const fail = async (ip: string, i: number) => {
      const res = await login(node.app, wrong({ username: `u${i}@acme.test`, ip }));
      return res;
    };

    it('one /64 shares one IP-throttling budget, whatever the addresses and spellings', async () => {
      const spellings = [
        '2001:db8:1:2::1',
        '2001:0DB8:0001:0002:0000:0000:0000:0001',
        '2001:db8:1:2:ffff::77',
        '2001:db8:1:2:1234:5678:9abc:def0',
      ];
      for (const [i, ip] of spellings.entries()) {
        const res = await fail(ip, i);
        assert.equal(res.statusCode, 403, ip);
        assert.deepEqual(res.json(), WRONG_BODY);
      }
      const blocked = await login(node.app, { ip: '2001:db8:1:2:9::9' });
      assert.equal(blocked.statusCode, 429);
      assert.deepEqual(blocked.json(), SUSPICIOUS_IP_BODY);
      // Another /64 has its own budget; the events keep the address itself.
      const other = await login(node.app, { ip: '2001:db8:1:3::1' });
      assert.equal(other.statusCode, 200);
      const [limit] = await listEvents(store.db, { type: 'limit_mu', limit: 1 });
      assert.equal(limit?.ip, '2001:db8:1:2:9::9');
      const blocks = await listBlocks(store.db, { ip: '2001:db8:1:2::/64' });
      assert.equal(blocks.length, 1);
      assert.equal(blocks[0]?.kind, 'ip');
    });

    it('an allowlisted network is never throttled', async () => {
      for (let i = 0; i < 6; i++) {
        const res = await fail(`2001:db8:aaaa:${i}::1`, 100 + i);
        assert.equal(res.statusCode, 403);
      }
      assert.equal((await login(node.app, { ip: '2001:0db8:aaaa:0::1' })).statusCode, 200);
    });

    it('brute force per identifier and IP counts the /64 (and each address at 128)', async () => {
      const bf = { bruteForceProtection: { max_attempts: 3, shields: ['block'] } };
      await withSetting(node.rt, { ...bf, suspiciousIpThrottling: { enabled: false } }, async () => {
        for (let i = 0; i < 3; i++) {
          const res = await login(node.app, wrong({ ip: `2001:db8:7:7::${i + 1}` }));
          assert.equal(res.statusCode, 403);
        }
        const res = await login(node.app, { ip: '2001:db8:7:7::99' });
        assert.equal(res.statusCode, 429);
        assert.equal(res.json().error, BRUTE_FORCE_BODY.error);
        assert.equal((await login(node.app, { ip: '2001:db8:7:8::1' })).statusCode, 200);
      });
      await withSetting(
        node.rt,
        { ...bf, suspiciousIpThrottling: { enabled: false }, ipv6PrefixLength: 128 },
        async () => {
          for (let i = 0; i < 3; i++) {
            const res = await login(node.app, wrong({ ip: `2001:db8:9:9::${i + 1}` }));
            assert.equal(res.statusCode, 403);
          }
          assert.equal((await login(node.app, { ip: '2001:db8:9:9::99' })).statusCode, 200);
        },
      );
    });
  });
}
