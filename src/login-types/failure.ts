/**
 * Why a login failed, when a step knows better than the entrance: the kind
 * decides how attack protection counts the failure and which audit event
 * records it. Other failures are recorded with the entrance's own code
 * (`fepft`, `fertft`, `feotpft` …).
 */
export type LoginFailure =
  /** The user exists but the password is wrong (or the user has none). */
  | 'wrong-password'
  /** No user of the connection has this identifier. */
  | 'unknown-user'
  /** The identifier is blocked by brute-force protection. */
  | 'blocked-identifier'
  /** The IP is throttled by suspicious-IP throttling. */
  | 'throttled-ip'
  /** The (right) password is in the breached-password corpus, and the tenant blocks it. */
  | 'breached-password'
  /** The login paused for a second factor (403 `mfa_required`). */
  | 'mfa-required';

/** The one place a failure kind becomes its Auth0 audit event code. */
const AUDIT_CODES: Record<LoginFailure, string> = {
  'wrong-password': 'fp',
  'unknown-user': 'fu',
  'blocked-identifier': 'limit_wc',
  'throttled-ip': 'limit_mu',
  'breached-password': 'pwd_leak',
  'mfa-required': 'mfar',
};

/** The audit event code of a failed login: its kind's, else the entrance's (`failureEvent`). */
export function failureAuditCode(ctx: { failure?: LoginFailure; failureEvent: string }): string {
  return ctx.failure ? AUDIT_CODES[ctx.failure] : ctx.failureEvent;
}

/** A wrong password or an unknown user: the failures brute-force protection and IP throttling count. */
export function isWrongCredentials(failure: LoginFailure | undefined): boolean {
  return failure === 'wrong-password' || failure === 'unknown-user';
}
