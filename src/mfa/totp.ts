import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as Auth0 Guardian and every authenticator app use it. */
export const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

/** A new random TOTP secret (160 bits), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app scans: `otpauth://totp/<Tenant>:<user>?…`. */
export function barcodeUri(secret: string, issuer: string, label: string): string {
  const e = encodeURIComponent;
  const { algorithm, digits, period } = TOTP_PARAMS;
  return `otpauth://totp/${e(issuer)}:${e(label)}?secret=${secret}&issuer=${e(issuer)}&algorithm=${algorithm}&digits=${digits}&period=${period}`;
}

/**
 * Checks a code at `now` with one step of tolerance each way; answers the
 * time step it matched (to refuse replays), or undefined.
 */
export function verifyTotp(secret: string, code: string, now: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const totp = new TOTP({ ...TOTP_PARAMS, secret: Secret.fromBase32(secret) });
  const delta = totp.validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now / 1000 / TOTP_PARAMS.period) + delta;
}

/** The code an authenticator app shows at `now` (tests, demos). */
export function totpAt(secret: string, now: number): string {
  return new TOTP({ ...TOTP_PARAMS, secret: Secret.fromBase32(secret) }).generate({ timestamp: now });
}
