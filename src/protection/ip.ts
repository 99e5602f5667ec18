import { BlockList, isIP } from 'node:net';

/**
 * IP addresses and ranges: one spelling per address (an IPv4-mapped IPv6
 * address is the IPv4 address), and allowlists or trusted-proxy lists of
 * addresses and CIDR ranges matched through node:net's BlockList.
 */

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The canonical form of an address, or undefined when it is not one. */
export function normalizeIp(value: string): string | undefined {
  const s = value.trim();
  const v = isIP(s);
  if (v === 4) return s;
  if (v !== 6) return undefined;
  const lower = s.toLowerCase();
  const mapped = MAPPED.exec(lower);
  return mapped && isIP(mapped[1]!) === 4 ? mapped[1] : lower;
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
  const address = normalizeIp(addr);
  if (!address) return undefined;
  const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
  const max = family === 'ipv4' ? 32 : 128;
  if (bits === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  let prefix = Number(bits);
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
  if (family === 'ipv4' && isIP(addr) === 6) prefix -= 96;
  if (prefix < 0 || prefix > max) return undefined;
  return { address, prefix, family };
}

/** Matches addresses against a list of addresses and CIDR ranges. */
export class IpList {
  private readonly list = new BlockList();
  readonly size: number;

  /** Throws on a malformed entry, naming it. */
  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const r = parseIpRange(e);
      if (!r) throw new Error(`"${e}" is not an IP address or a CIDR range`);
      this.list.addSubnet(r.address, r.prefix, r.family);
    }
    this.size = entries.length;
  }

  /** True when the (normalized) address is in the list. */
  has(ip: string): boolean {
    if (this.size === 0) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}
