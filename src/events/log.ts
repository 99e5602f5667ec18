import { randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import { insertEvent, type LogEvent } from '../store/repos/events.js';

/** Auth0's event codes that Tessera records, with their descriptions. */
export const EVENT_TYPES = {
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
  ss: 'Successful signup',
  fs: 'Failed signup',
  limit_sul: 'Blocked IP address for sign-ups (suspicious IP throttling)',
  scpr: 'Successful change password request (the reset email was sent)',
  scp: 'Successful change password',
  fcp: 'Failed change password',
  sv: 'Successful verification email',
  fv: 'Failed verification email',
} as const satisfies Record<string, string>;

export type EventType = keyof typeof EVENT_TYPES;

/**
 * Records an audit event. Never throws: a failing audit write is logged, and
 * the login it describes is not turned into an error.
 */
export async function recordEvent(rt: Runtime, event: Omit<LogEvent, 'id' | 'date'>): Promise<void> {
  try {
    await insertEvent(rt.store.db, { id: `evt_${randomUUID()}`, date: rt.now(), ...event });
  } catch (err) {
    rt.log.error({ err, type: event.type }, 'could not record audit event');
  }
}
