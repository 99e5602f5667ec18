import type { AttackProtectionSetting } from '../src/protection/policy.js';
import type { Runtime } from '../src/runtime.js';
import { putSetting } from '../src/store/repos/settings.js';

/**
 * The attack protection a bench runs with (`--protections`, BENCH_PROTECTIONS):
 * `off` (the baseline: everything disabled), `default` (Auth0's defaults:
 * brute force and suspicious IP throttling) or `all` (those two plus breached
 * password detection against the shipped corpus). The logins all succeed,
 * so this measures the protections' cost on the happy path.
 */
export const PROTECTION_MODES: Record<string, AttackProtectionSetting | undefined> = {
  off: {
    bruteForceProtection: { enabled: false },
    suspiciousIpThrottling: { enabled: false },
    breachedPasswordDetection: { enabled: false },
  },
  default: undefined,
  all: {
    bruteForceProtection: { enabled: true },
    suspiciousIpThrottling: { enabled: true },
    breachedPasswordDetection: {
      enabled: true,
      shields: ['block', 'user_notification', 'admin_notification'],
    },
  },
};

/** A seed for withTessera that applies a mode; exits 2 on an unknown one. */
export function protectionsSeed(mode: string): (rt: Runtime) => Promise<void> {
  if (!(mode in PROTECTION_MODES)) {
    console.error(`--protections / BENCH_PROTECTIONS must be off, default or all, got "${mode}"`);
    process.exit(2);
  }
  return async (rt) => {
    const setting = PROTECTION_MODES[mode];
    if (setting) await putSetting(rt.store.db, 'attackProtection', setting);
  };
}
