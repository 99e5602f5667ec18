import type { Kysely } from 'kysely';
import { errors, UnavailableError } from '../errors/index.js';
import type { Runtime } from '../runtime.js';
import { diskFullMessage } from '../store/disk-full.js';
import { rowId } from '../store/ids.js';
import { insertEvent, type LoginCount, type LogEvent } from '../store/repos/events.js';
import type { Database } from '../store/schema.js';
import { DEFAULTS } from '../config/defaults.js';

/** Auth0's event codes that Tessera records, with their descriptions. */
export const EVENT_TYPES = {
  f: 'Failed login',
  sepft: 'Successful exchange of password for access token',
  fepft: 'Failed exchange of password for access token',
  fp: 'Failed login (incorrect password)',
  fu: 'Failed login (invalid email/username)',
  sertft: 'Successful exchange of refresh token for access token',
  fertft: 'Failed exchange of refresh token for access token',
  srrt: 'Successful refresh token revocation',
  seccft: 'Successful exchange of client credentials for access token',
  feccft: 'Failed exchange of client credentials for access token',
  limit_wc: 'Blocked account (too many failed logins from one IP, or in all)',
  limit_mu: 'Blocked IP address (suspicious IP throttling)',
  pwd_leak: 'Breached password',
  ublkdu: 'Account unblocked (brute-force block lifted)',
  mfar: 'Multi-factor authentication required',
  seotpft: 'Successful exchange of password and OTP challenge for access token',
  feotpft: 'Failed exchange of password and OTP challenge for access token',
  seoobft: 'Successful exchange of password and OOB challenge for access token',
  feoobft: 'Failed exchange of password and OOB challenge for access token',
  sercft: 'Successful exchange of password and MFA recovery code for access token',
  fercft: 'Failed exchange of password and MFA recovery code for access token',
  gd_auth_failed: 'Multi-factor authentication failed',
  gd_enrollment_complete: 'Multi-factor enrollment complete',
  gd_otp_rate_limit_exceed: 'Too many failed multi-factor verifications',
  gd_recovery_failed: 'Multi-factor recovery code failed',
  gd_recovery_succeed: 'Multi-factor recovery code succeeded',
  ss: 'Successful signup',
  fs: 'Failed signup',
  limit_sul: 'Blocked IP address for sign-ups (suspicious IP throttling)',
  scpr: 'Successful change password request (the reset email was sent)',
  scp: 'Successful change password',
  fcp: 'Failed change password',
  sv: 'Successful verification email',
  fv: 'Failed verification email',
  sapi: 'Success API Operation',
  fapi: 'Failed API Operation',
} as const satisfies Record<string, string>;

export type EventType = keyof typeof EVENT_TYPES;

/** How long a client is asked to wait when the audit log cannot be written. */
export const AUDIT_RETRY_AFTER_SECONDS = DEFAULTS.retention.auditRetryAfterS;

/**
 * Records an audit event. What is not recorded must not happen: when the
 * event cannot be written (a full disk, a database outage) the request it
 * describes fails with 503 `temporarily_unavailable` and `Retry-After`, and
 * the log says why (a full disk by name). `db` is a transaction when the
 * event must be written with what it records (a refresh token's rotation):
 * then neither is written without the other. `login`: the login the event
 * ends, counted on its user in the same write (store/repos/events.ts).
 */
export async function recordEvent(
  rt: Runtime,
  event: Omit<LogEvent, 'id' | 'date'>,
  db: Kysely<Database> = rt.store.db,
  login?: LoginCount,
): Promise<void> {
  try {
    await insertEvent(db, { id: rowId('evt'), date: rt.now(), ...event }, login);
  } catch (err) {
    // An outage is answered (and logged, throttled) as every other outage is.
    if (err instanceof UnavailableError) throw err;
    const why = diskFullMessage(err) ?? (err as Error)?.message ?? String(err);
    rt.log.error(
      { err, type: event.type, diskFull: diskFullMessage(err) !== undefined },
      `could not record audit event ${event.type}: ${why}`,
    );
    throw errors.temporarilyUnavailable(
      AUDIT_RETRY_AFTER_SECONDS,
      `audit event ${event.type} not recorded: ${why}`,
    );
  }
}
