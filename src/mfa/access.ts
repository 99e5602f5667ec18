import type { Runtime } from '../runtime.js';
import {
  type AuthenticatorRow,
  deleteAuthenticator,
  listAuthenticators,
} from '../store/repos/mfa-authenticators.js';
import type { MfaCaller } from './caller.js';
import { errors, mfaErrors } from '../errors/index.js';
import { maskName } from './oob.js';
import type { MfaTransaction } from './transactions.js';

/** What a caller of the MFA API wants to do with the user's authenticators. */
export type MfaAction = 'read' | 'enroll' | 'remove';

/** The access-token scope of each action. */
export const MFA_SCOPES: Record<MfaAction, string> = {
  read: 'read:authenticators',
  enroll: 'enroll',
  remove: 'remove:authenticators',
};

/**
 * True when the user has a confirmed second factor. The recovery code does
 * not count: it only backs up a factor, and it alone is never challenged.
 */
export function isEnrolled(auths: AuthenticatorRow[]): boolean {
  return auths.some((a) => a.active === 1 && a.type !== 'recovery-code');
}

/**
 * The authenticators that may answer the challenge of an MFA transaction:
 * the confirmed ones, and those this very transaction enrolled (its first
 * verification confirms them). An enrolment left unconfirmed by one login
 * never answers another's challenge: that was how a password alone could
 * plant a factor and then use it. The rule of `authorizeMfa` holds again at
 * confirmation: once the user has a confirmed factor, a transaction that did
 * not complete MFA can no longer confirm its enrolment (two racing first
 * enrolments: the second loses).
 */
export function usableAuthenticators(auths: AuthenticatorRow[], tx: MfaTransaction): AuthenticatorRow[] {
  const mayEnroll = tx.login.mfa === true || !isEnrolled(auths);
  return auths.filter((a) => a.active === 1 || (mayEnroll && a.enrolled_in === tx.row.id));
}

/**
 * The one access rule of the MFA API, for listing, enrolling and removing
 * alike; answers the user's authenticators when the caller may act.
 * - An mfa_token (a password, no second factor yet) may list, and may enroll
 *   only while the user has no confirmed factor; it never removes.
 * - An access token needs the action's scope. Once the user has a confirmed
 *   factor, enrolling another or removing one also needs a token whose login
 *   completed MFA (`amr: ["mfa"]`): a password alone must not be able to add
 *   a factor of the attacker's or take away the user's.
 */
export async function authorizeMfa(
  rt: Runtime,
  caller: MfaCaller,
  action: MfaAction,
): Promise<AuthenticatorRow[]> {
  const auths = await listAuthenticators(rt.store.db, caller.userId);
  if (caller.tx) {
    if (action === 'remove') throw mfaErrors.insufficientScope(MFA_SCOPES.remove);
  } else if (!caller.scopes.includes(MFA_SCOPES[action])) {
    throw mfaErrors.insufficientScope(MFA_SCOPES[action]);
  }
  if (action === 'read' || caller.mfa || !isEnrolled(auths)) return auths;
  throw action === 'enroll' ? mfaErrors.alreadyEnrolled() : mfaErrors.mfaStepUpRequired();
}

/** Removes one of the caller's authenticators, when `authorizeMfa` lets it: else 404 when it is not the user's. */
export async function removeAuthenticator(rt: Runtime, caller: MfaCaller, id: string): Promise<void> {
  await authorizeMfa(rt, caller, 'remove');
  if (!(await deleteAuthenticator(rt.store.db, caller.userId, id))) {
    throw errors.notFound('Authenticator not found');
  }
}

/**
 * An authenticator as /mfa/authenticators lists it (Auth0's shape): never a
 * secret or code hash, and the phone number or address masked.
 */
export function publicAuthenticator(a: AuthenticatorRow) {
  const oob = a.type === 'sms' || a.type === 'email';
  return {
    id: a.id,
    authenticator_type: oob ? 'oob' : a.type,
    active: a.active === 1,
    ...(oob ? { oob_channel: a.type, name: maskName(a.type, a.name) } : {}),
  };
}
