import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, canonicalIp, classifyAddress } from '../../src/rules/address-check.js';
import { allowedHosts } from '../../src/rules/fetch-bridge.js';

describe('the address classifier of sandboxed fetch', () => {
  // [address, why it is not public (undefined: public), never a destination]
  const table: [string, string | undefined, boolean?][] = [
    ['8.8.8.8', undefined],
    ['1.1.1.1', undefined],
    ['93.184.216.34', undefined],
    ['172.32.0.1', undefined],
    ['100.128.0.1', undefined],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified', true],
    ['0.1.2.3', 'unspecified', true],
    ['255.255.255.255', 'broadcast', true],
    ['224.0.0.1', 'multicast', true],
    ['239.255.255.250', 'multicast', true],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2606:4700:4700::1111', undefined],
    ['2001:4860:4860::8888', undefined],
    ['::1', 'loopback'],
    ['::', 'unspecified', true],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast', true],
    ['fec0::1', 'site-local'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'Teredo'],
    ['100::1', 'discard-only'],
    ['4000::1', 'reserved'],
    // IPv6 spellings that carry an IPv4 address are what they carry.
    ['::ffff:127.0.0.1', 'IPv4-mapped 127.0.0.1, loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped 127.0.0.1, loopback'],
    ['::FFFF:10.0.0.1', 'IPv4-mapped 10.0.0.1, private'],
    ['::ffff:169.254.169.254', 'IPv4-mapped 169.254.169.254, link-local'],
    ['::ffff:224.0.0.1', 'IPv4-mapped 224.0.0.1, multicast', true],
    ['::ffff:8.8.8.8', undefined],
    ['::127.0.0.1', 'IPv4-compatible 127.0.0.1, loopback'],
    ['::7f00:1', 'IPv4-compatible 127.0.0.1, loopback'],
    ['::8.8.8.8', 'IPv4-compatible 8.8.8.8, deprecated'],
    ['::ffff:0:7f00:1', 'IPv4-translated'],
    ['64:ff9b::127.0.0.1', 'NAT64 127.0.0.1, loopback'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 169.254.169.254, link-local'],
    ['64:ff9b::8.8.8.8', undefined],
    ['64:ff9b:1::a00:1', 'local-use NAT64'],
    ['2002:7f00:1::1', '6to4 127.0.0.1, loopback'],
    ['2002:c0a8:101::1', '6to4 192.168.1.1, private'],
    ['2002:808:808::1', undefined],
    // Not addresses in their strict form: a connection would resolve them again.
    ['2130706433', 'not an IP address', true],
    ['0x7f.1', 'not an IP address', true],
    ['0177.0.0.1', 'not an IP address', true],
    ['127.1', 'not an IP address', true],
    ['localhost', 'not an IP address', true],
    ['', 'not an IP address', true],
    ['fe80::1%eth0', 'not an IP address', true],
    [' 127.0.0.1', 'not an IP address', true],
  ];
  for (const [address, special, never] of table) {
    it(`${JSON.stringify(address)}: ${special ?? 'public'}`, () => {
      const c = classifyAddress(address);
      assert.equal(c.special, special);
      assert.equal(c.never ?? false, never ?? false);
    });
  }

  it('spells addresses one way, as the URL parser does', () => {
    assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonicalIp('::FFFF:127.0.0.1'), '::ffff:7f00:1');
    assert.equal(canonicalIp('::127.0.0.1'), '::7f00:1');
    assert.equal(canonicalIp('2130706433'), undefined);
    assert.equal(addressKey('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(addressKey('::7f00:1'), '::7f00:1');
    assert.equal(classifyAddress('::FFFF:127.0.0.1').address, '::ffff:7f00:1');
  });
});

describe('the fetch allowlist (TESSERA_ALLOWED_HOSTS)', () => {
  const parse = (value: string) =>
    Object.fromEntries([...allowedHosts({ TESSERA_ALLOWED_HOSTS: value })].map(([h, p]) => [h, [...p]]));

  it('reads names and addresses, with ports 80 and 443 unless an entry names one', () => {
    assert.deepEqual(
      parse(
        ' API.Acme.test , api.acme.test:8443, 127.0.0.1:5432, [::1]:8080, fd00::7, [::ffff:10.0.0.1]:81, bücher.test',
      ),
      {
        'api.acme.test': [80, 443, 8443],
        '127.0.0.1': [5432],
        '::1': [8080],
        'fd00::7': [80, 443],
        '10.0.0.1': [81],
        'xn--bcher-kva.test': [80, 443],
      },
    );
  });

  it('allows nothing for malformed entries or odd spellings of addresses', () => {
    assert.deepEqual(
      parse(
        '2130706433, 0x7f.1:80, 127.1, https://api.acme.test, api.acme.test/x, a@b.test, h:0, h:65536, h:x, [h]:80, [::1, ,',
      ),
      {},
    );
    assert.deepEqual(parse(''), {});
    assert.deepEqual(Object.fromEntries(allowedHosts({})), {});
  });
});
