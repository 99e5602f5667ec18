import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { DEFAULTS } from '../config/defaults.js';

/**
 * IP addresses and ranges, one spelling each (ipaddr.js): an IPv4-mapped
 * IPv6 address is the IPv4 address, IPv6 is written as RFC 5952 says
 * (lower case, zeros compressed), a zone is dropped. Lists of addresses and
 * CIDR ranges (allowlists, trusted proxies) match canonical addresses.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Parses an address in the usual forms only (IPv4 as four decimal parts); undefined otherwise. */
function parse(value: string): Address | undefined {
  const s = value.trim();
  if (isIP(s) === 0) return undefined;
  try {
    const a = ipaddr.process(s);
    if (a.kind() === 'ipv6') (a as ipaddr.IPv6).zoneId = undefined;
    return a;
  } catch {
    return undefined;
  }
}

/**
 * An IPv4 address in its usual form is already canonical: node:net's isIP
 * takes only four decimal parts without leading zeros, which is what
 * ipaddr.js would write back. Every request's address goes through here
 * (once for the request, once more for attack protection's key), so the
 * common case skips ipaddr.js's parse and toString.
 */
const isCanonicalIpv4 = (s: string) => isIP(s) === 4;

/** The canonical form of an address, or undefined when it is not one. */
export function normalizeIp(value: string): string | undefined {
  const s = value.trim();
  if (isCanonicalIpv4(s)) return s;
  return parse(s)?.toString();
}

/** How much of an IPv6 address names one attacker: a /64 is what one customer line gets. */
export const DEFAULT_IPV6_PREFIX = DEFAULTS.protection.ipv6PrefixLength;

/**
 * What attack protection counts and blocks for an address: the IPv4
 * address, or the IPv6 network of `ipv6Prefix` bits around it (written
 * `2001:db8:1:2::/64`; the address itself at 128). Every spelling of an
 * address, and every address of one network, share one budget.
 */
export function ipCountingKey(ip: string, ipv6Prefix = DEFAULT_IPV6_PREFIX): string {
  const s = ip.trim();
  if (isCanonicalIpv4(s)) return s;
  const a = parse(s);
  if (!a) return ip;
  if (a.kind() === 'ipv4' || ipv6Prefix >= 128) return a.toString();
  const net = ipaddr.IPv6.networkAddressFromCIDR(`${a.toString()}/${ipv6Prefix}`);
  return `${net.toString()}/${ipv6Prefix}`;
}

export interface IpRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `ADDRESS` or `ADDRESS/BITS`; undefined when malformed. */
export function parseIpRange(value: string): IpRange | undefined {
  const [addr, bits, extra] = value.trim().split('/');
  if (extra !== undefined || addr === undefined) return undefined;
  const parsed = parse(addr);
  if (!parsed) return undefined;
  const family = parsed.kind();
  const max = family === 'ipv4' ? 32 : 128;
  if (bits === undefined) return { address: parsed.toString(), prefix: max, family };
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  let prefix = Number(bits);
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
  if (family === 'ipv4' && isIP(addr.trim()) === 6) prefix -= 96;
  if (prefix < 0 || prefix > max) return undefined;
  return { address: parsed.toString(), prefix, family };
}

/** Matches addresses against a list of addresses and CIDR ranges. */
export class IpList {
  private readonly ranges: [Address, number][] = [];
  readonly size: number;

  /** Throws on a malformed entry, naming it. */
  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const r = parseIpRange(e);
      if (!r) throw new Error(`"${e}" is not an IP address or a CIDR range`);
      this.ranges.push([ipaddr.parse(r.address), r.prefix]);
    }
    this.size = entries.length;
  }

  /** True when the address (in any spelling) is in the list. */
  has(ip: string): boolean {
    if (this.size === 0) return false;
    const a = parse(ip);
    if (!a) return false;
    return this.ranges.some(([range, bits]) => range.kind() === a.kind() && a.match(range, bits));
  }
}
