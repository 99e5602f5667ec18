import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which IP addresses a sandboxed `fetch` may connect to without the tenant
 * naming them: public unicast only. Everything else (loopback, private,
 * link-local, carrier-grade NAT, unique-local, multicast, reserved …, and
 * IPv6 spellings that carry such an IPv4 address: IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4) is special.
 */
export interface AddressClass {
  /** The canonical spelling: dotted IPv4, or IPv6 lowercased and compressed; the input when not an address. */
  address: string;
  /** Why the address is not public, e.g. "loopback" or "IPv4-mapped 127.0.0.1, loopback"; absent when public. */
  special?: string;
  /** Not a destination at all (unspecified, broadcast, multicast, not an address): refused even when named. */
  never?: boolean;
}

const LABELS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  reserved: 'reserved',
  benchmarking: 'benchmarking',
  discard: 'discard-only',
  teredo: 'Teredo',
  rfc6145: 'IPv4-translated',
};
const NEVER = new Set(['unspecified', 'broadcast', 'multicast']);

/**
 * The canonical spelling of an IP address, or undefined when `value` is not
 * one in its strict form: no `2130706433`, `0x7f.1`, `0177.0.0.1` or `127.1`
 * (a resolver answering those would be asking the connection to resolve
 * again), and no IPv6 zone. IPv6 is spelled as the WHATWG URL parser does,
 * the same parser that reads the URLs scripts fetch.
 */
export function canonicalIp(value: string): string | undefined {
  const family = isIP(value);
  if (family === 4) return value;
  if (family !== 6 || value.includes('%')) return undefined;
  return new URL(`http://[${value}]/`).hostname.slice(1, -1);
}

/** The spelling allowlist entries and addresses are matched by: an IPv4-mapped address is its IPv4 address. */
export function addressKey(value: string): string | undefined {
  const address = canonicalIp(value);
  if (!address || isIP(address) === 4) return address;
  const ip = ipaddr.IPv6.parse(address);
  return ip.isIPv4MappedAddress() ? ip.toIPv4Address().toString() : address;
}

export function classifyAddress(value: string): AddressClass {
  const address = canonicalIp(value);
  if (!address) return { address: value, special: 'not an IP address', never: true };
  if (isIP(address) === 4) return { address, ...classifyV4(ipaddr.IPv4.parse(address)) };
  return { address, ...classifyV6(ipaddr.IPv6.parse(address)) };
}

type Verdict = Omit<AddressClass, 'address'>;

function classifyV4(ip: ipaddr.IPv4): Verdict {
  const range: string = ip.range();
  if (range === 'unicast') return {};
  return { special: LABELS[range] ?? range, ...(NEVER.has(range) ? { never: true } : {}) };
}

function classifyV6(ip: ipaddr.IPv6): Verdict {
  const p = ip.parts;
  const range: string = ip.range();
  if (range === 'unspecified') return { special: 'unspecified', never: true };
  if (range === 'loopback') return { special: 'loopback' };
  // Forms that carry an IPv4 address: as special as the address they carry.
  if (range === 'ipv4Mapped') return embedded('IPv4-mapped', ip.toIPv4Address());
  if (p.slice(0, 6).every((x) => x === 0)) {
    // ::a.b.c.d, deprecated since RFC 4291: never public, whatever it carries.
    return embedded('IPv4-compatible', v4(p[6]!, p[7]!), 'deprecated');
  }
  if (range === 'rfc6052') {
    // 64:ff9b::/96 is NAT64's well-known prefix; 64:ff9b:1::/48 is for local use (RFC 8215).
    if (p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) return embedded('NAT64', v4(p[6]!, p[7]!));
    return { special: 'local-use NAT64' };
  }
  if (range === '6to4') return embedded('6to4', v4(p[1]!, p[2]!));
  if (range !== 'unicast')
    return { special: LABELS[range] ?? 'reserved', ...(NEVER.has(range) ? { never: true } : {}) };
  // Outside 2000::/3 nothing is assigned as global unicast.
  if ((p[0]! & 0xe000) !== 0x2000) return { special: 'reserved' };
  return {};
}

function embedded(form: string, inner: ipaddr.IPv4, always?: string): Verdict {
  const verdict = classifyV4(inner);
  const why = verdict.special ?? always;
  if (!why) return {};
  return { special: `${form} ${inner.toString()}, ${why}`, ...(verdict.never ? { never: true } : {}) };
}

function v4(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}
