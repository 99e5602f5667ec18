import type { Runtime } from '../runtime.js';
import { GRANT_TYPE } from '../schemas/grant-types.js';
import { getSetting } from '../store/repos/settings.js';
import { DEFAULTS } from '../config/defaults.js';

/** The factors Tessera implements, by their Guardian names. */
export const FACTORS = ['otp', 'sms', 'email', 'recovery-code'] as const;
export type Factor = (typeof FACTORS)[number];

export interface GuardianSettings {
  /** MFA on every login (`all-applications`), not only when a rule or action asks. */
  always: boolean;
  enabled: Factor[];
}

/** Reads the tenant file's `guardian` section (cached with the configuration). */
export async function guardianSettings(rt: Runtime): Promise<GuardianSettings> {
  const g =
    (await getSetting<{ policies?: string[]; factors?: Record<string, boolean> }>(rt.store.db, 'guardian')) ??
    {};
  return {
    always: (g.policies ?? []).includes('all-applications'),
    enabled: FACTORS.filter((f) => g.factors?.[f] === true),
  };
}

/** The MFA API's audience: `<issuer>mfa/`. */
export function mfaAudience(rt: Runtime): string {
  return `${rt.config.issuer}mfa/`;
}

/** The grant types that complete an MFA login (named in `schemas/grant-types.ts`, served by oauth/grants/). */
export const MFA_GRANTS = {
  otp: GRANT_TYPE.mfaOtp,
  oob: GRANT_TYPE.mfaOob,
  recovery: GRANT_TYPE.mfaRecoveryCode,
} as const;

/** Lifetimes and limits of spec section 5. */
export const MFA_LIMITS = DEFAULTS.mfa;
