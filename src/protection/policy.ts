import type { Kysely } from 'kysely';
import { cachedConfig } from '../store/config-cache.js';
import { type DeepReadonly, getSetting } from '../store/repos/settings.js';
import type { Database } from '../store/schema.js';
import { DEFAULT_IPV6_PREFIX, IpList } from './ip.js';
import { DEFAULTS } from '../config/defaults.js';

/** The tenant file's `attackProtection` section (Auth0's Management API names). */
export interface AttackProtectionSetting {
  bruteForceProtection?: {
    enabled?: boolean;
    mode?: 'count_per_identifier_and_ip' | 'count_per_identifier';
    max_attempts?: number;
    shields?: string[];
    allowlist?: string[];
  };
  suspiciousIpThrottling?: {
    enabled?: boolean;
    shields?: string[];
    allowlist?: string[];
    stage?: { 'pre-login'?: { max_attempts?: number; rate?: number } };
  };
  breachedPasswordDetection?: { enabled?: boolean; shields?: string[] };
  /** Tessera's: the bits of an IPv6 address that brute force and IP throttling count as one (default 64). */
  ipv6PrefixLength?: number;
}

/**
 * Auth0's defaults, which apply when the tenant says nothing: brute-force
 * protection and suspicious IP throttling on, breached password detection off.
 */
export const PROTECTION_DEFAULTS = DEFAULTS.protection.tenant;

export interface BruteForcePolicy {
  perIp: boolean;
  maxAttempts: number;
  block: boolean;
  notifyUser: boolean;
  allowlist: IpList;
}

export interface IpThrottlePolicy {
  maxAttempts: number;
  /** Milliseconds to regain one attempt. */
  rateMs: number;
  block: boolean;
  notifyAdmin: boolean;
  allowlist: IpList;
}

export interface BreachedPolicy {
  block: boolean;
  notifyUser: boolean;
  notifyAdmin: boolean;
}

/** The effective protections; a disabled one is undefined. */
export interface ProtectionPolicy {
  /** IPv6 addresses are counted and blocked per network of this many bits (see ipCountingKey). */
  ipv6Prefix: number;
  bruteForce?: BruteForcePolicy;
  ipThrottling?: IpThrottlePolicy;
  breached?: BreachedPolicy;
}

/** Applies the defaults to the stored section. */
export function compilePolicy(s: DeepReadonly<AttackProtectionSetting> | undefined): ProtectionPolicy {
  const d = PROTECTION_DEFAULTS;
  const bf = s?.bruteForceProtection ?? {};
  const sit = s?.suspiciousIpThrottling ?? {};
  const bpd = s?.breachedPasswordDetection ?? {};
  const policy: ProtectionPolicy = { ipv6Prefix: s?.ipv6PrefixLength ?? DEFAULT_IPV6_PREFIX };
  if (bf.enabled ?? d.bruteForce.enabled) {
    const shields: readonly string[] = bf.shields ?? d.bruteForce.shields;
    policy.bruteForce = {
      perIp: (bf.mode ?? d.bruteForce.mode) === 'count_per_identifier_and_ip',
      maxAttempts: bf.max_attempts ?? d.bruteForce.maxAttempts,
      block: shields.includes('block'),
      notifyUser: shields.includes('user_notification'),
      allowlist: new IpList(bf.allowlist ?? []),
    };
  }
  if (sit.enabled ?? d.ipThrottling.enabled) {
    const shields: readonly string[] = sit.shields ?? d.ipThrottling.shields;
    const stage = sit.stage?.['pre-login'] ?? {};
    policy.ipThrottling = {
      maxAttempts: stage.max_attempts ?? d.ipThrottling.maxAttempts,
      rateMs: stage.rate ?? d.ipThrottling.rateMs,
      block: shields.includes('block'),
      notifyAdmin: shields.includes('admin_notification'),
      allowlist: new IpList(sit.allowlist ?? []),
    };
  }
  if (bpd.enabled ?? d.breached.enabled) {
    const shields: readonly string[] = bpd.shields ?? d.breached.shields;
    policy.breached = {
      block: shields.includes('block'),
      notifyUser: shields.includes('user_notification'),
      notifyAdmin: shields.includes('admin_notification'),
    };
  }
  return policy;
}

/** The tenant's protections, compiled once per configuration read (cached like every tenant setting). */
export function loadPolicy(db: Kysely<Database>): Promise<ProtectionPolicy> {
  return cachedConfig(db, 'protection:policy', async () =>
    compilePolicy(await getSetting<AttackProtectionSetting>(db, 'attackProtection')),
  );
}
