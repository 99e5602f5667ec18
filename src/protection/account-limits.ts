import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { cachedConfig } from '../store/config-cache.js';
import { getSetting } from '../store/repos/settings.js';
import type { Database } from '../store/schema.js';
import type { Counters } from './counters.js';
import { IpList } from './ip.js';
import type { AttackProtectionSetting } from './policy.js';
import { DEFAULTS } from '../config/defaults.js';

/**
 * Limits of the account endpoints, as token buckets in the attack-protection
 * counters (memory or Redis). Sign-ups: suspicious IP throttling's
 * `pre-user-registration` stage, Auth0's default 50 a minute per IP
 * (`max_attempts: 50`, `rate: 1200` ms per regained attempt). Password-reset
 * requests: per IP and per address, so one address cannot be flooded with
 * emails; over the limit the request is answered the same and sends nothing.
 */
export const SIGNUP_STAGE_DEFAULTS = DEFAULTS.protection.signupStage;

export const RESET_LIMITS = DEFAULTS.protection.reset;

export interface SignupStage {
  maxAttempts: number;
  rateMs: number;
  allowlist: IpList;
}

type Setting = AttackProtectionSetting & {
  suspiciousIpThrottling?: { stage?: { 'pre-user-registration'?: { max_attempts?: number; rate?: number } } };
};

/** The sign-up stage of suspicious IP throttling; undefined when off or without the block shield. */
export function signupStage(db: Kysely<Database>): Promise<SignupStage | undefined> {
  return cachedConfig(db, 'protection:signup-stage', async () => {
    const sit = (await getSetting<Setting>(db, 'attackProtection'))?.suspiciousIpThrottling ?? {};
    if (sit.enabled === false) return undefined;
    if (!(sit.shields ?? ['block']).includes('block')) return undefined;
    const stage = sit.stage?.['pre-user-registration'] ?? {};
    return {
      maxAttempts: stage.max_attempts ?? SIGNUP_STAGE_DEFAULTS.maxAttempts,
      rateMs: stage.rate ?? SIGNUP_STAGE_DEFAULTS.rateMs,
      allowlist: new IpList(sit.allowlist ?? []),
    };
  });
}

export type Take = { ok: true } | { ok: false; retryAfterS: number };

async function take(counters: Counters, key: string, capacity: number, rateMs: number, now: number) {
  const r = await counters.take(key, capacity, rateMs, now);
  return r.ok
    ? ({ ok: true } as const)
    : { ok: false as const, retryAfterS: Math.max(1, Math.ceil(r.waitMs / 1000)) };
}

/** Counts one sign-up from `ip` (every attempt counts, successful or not). */
export async function takeSignup(
  db: Kysely<Database>,
  counters: Counters,
  ip: string,
  now: number,
): Promise<Take> {
  const stage = await signupStage(db);
  if (!stage || stage.allowlist.has(ip)) return { ok: true };
  return take(counters, `signup:${ip}`, stage.maxAttempts, stage.rateMs, now);
}

/** Counts one reset request from `ip` for `address` in a connection; both buckets must have room. */
export async function takeResetRequest(
  counters: Counters,
  ip: string,
  connectionId: string,
  address: string,
  now: number,
): Promise<Take> {
  const l = RESET_LIMITS;
  const byIp = await take(counters, `reset-ip:${ip}`, l.perIp.capacity, l.perIp.rateMs, now);
  if (!byIp.ok) return byIp;
  const who = createHash('sha256')
    .update(`${connectionId}\n${address.toLowerCase()}`)
    .digest('hex')
    .slice(0, 32);
  return take(counters, `reset-to:${who}`, l.perAddress.capacity, l.perAddress.rateMs, now);
}
