import { managementErrors } from '../errors/index.js';
import { getManagedUser } from '../identity/manage-users.js';
import { Guardian } from '../schemas/guardian.js';
import { formatIssue, compile } from '../schemas/validate.js';
import type { Store } from '../store/db.js';
import {
  type AuthenticatorRow,
  deleteAuthenticator,
  deleteUserAuthenticators,
  findAuthenticatorById,
  listAuthenticators,
} from '../store/repos/mfa-authenticators.js';
import { type DeepReadonly, getSetting, putSetting } from '../store/repos/settings.js';
import { FACTORS, type Factor } from './settings.js';

/**
 * MFA as the Management API administers it (spec sections 8 and 11): a
 * user's enrollments and authentication methods, and the tenant's
 * `guardian` setting (factors, policies), written through the tenant
 * file's own schema.
 */

/** The factor names of the Management API; push-notification is listed but cannot be enabled. */
export const FACTOR_NAMES = ['push-notification', 'sms', 'email', 'otp', 'recovery-code'] as const;
export type FactorName = (typeof FACTOR_NAMES)[number];

const iso = (t: number) => new Date(t).toISOString();

/** A user's Guardian enrollments (every authenticator but the recovery code); 404 for an unknown user. */
export async function userEnrollments(store: Store, userId: string): Promise<Record<string, unknown>[]> {
  await getManagedUser(store, userId);
  const rows = (await listAuthenticators(store.db, userId)).filter((a) => a.type !== 'recovery-code');
  return rows.map((a) => ({
    id: a.id,
    status: a.active === 1 ? 'confirmed' : 'pending',
    type: a.type === 'otp' ? 'authenticator' : a.type,
    auth_method: a.type === 'otp' ? 'authenticator' : a.type,
    ...(a.type === 'sms' && a.name ? { phone_number: a.name } : {}),
    ...(a.type === 'email' && a.name ? { name: a.name } : {}),
    enrolled_at: iso(a.created_at),
  }));
}

function methodView(a: AuthenticatorRow): Record<string, unknown> {
  const type = a.type === 'otp' ? 'totp' : a.type === 'sms' ? 'phone' : a.type;
  return {
    id: a.id,
    type,
    confirmed: a.active === 1,
    ...(a.type === 'sms' && a.name ? { phone_number: a.name, preferred_authentication_method: 'sms' } : {}),
    ...(a.type === 'email' && a.name ? { email: a.name } : {}),
    created_at: iso(a.created_at),
    ...(a.active === 1 ? { enrolled_at: iso(a.created_at) } : {}),
  };
}

/** A user's authentication methods (the recovery code too); 404 for an unknown user. */
export async function userAuthenticationMethods(
  store: Store,
  userId: string,
): Promise<Record<string, unknown>[]> {
  await getManagedUser(store, userId);
  return (await listAuthenticators(store.db, userId)).map(methodView);
}

/** Deletes one enrollment by id; 404 when there is none. Returns its user. */
export async function deleteEnrollment(store: Store, id: string): Promise<string> {
  const a = await findAuthenticatorById(store.db, id);
  if (!a || !(await deleteAuthenticator(store.db, a.user_id, id)))
    throw managementErrors.notFound('Enrollment not found', 'inexistent_enrollment');
  return a.user_id;
}

/** Removes every factor of a user (as `tessera users mfa reset`); 404 for an unknown user. */
export async function deleteAllAuthenticators(store: Store, userId: string): Promise<number> {
  await getManagedUser(store, userId);
  return deleteUserAuthenticators(store.db, userId);
}

/**
 * Auth0's "forget the browsers this user chose to remember for MFA":
 * Tessera has no remember-browser (the password flow has no browser), so
 * there is nothing to forget; the user must exist.
 */
export async function invalidateRememberBrowser(store: Store, userId: string): Promise<void> {
  await getManagedUser(store, userId);
}

const guardianCheck = compile(Guardian);

async function readGuardian(store: Store): Promise<DeepReadonly<Guardian>> {
  return (await getSetting<Guardian>(store.db, 'guardian')) ?? {};
}

/** Writes the `guardian` setting after the tenant file's schema accepts it (400 otherwise). */
async function writeGuardian(store: Store, g: DeepReadonly<Guardian>): Promise<void> {
  const issues = guardianCheck.issues(g);
  if (issues.length > 0)
    throw managementErrors.invalidBody(
      `Invalid guardian settings: ${issues.map((i) => formatIssue(i)).join('; ')}`,
    );
  await putSetting(store.db, 'guardian', g);
}

/** Every factor and whether it is enabled. */
export async function guardianFactors(
  store: Store,
): Promise<{ name: FactorName; enabled: boolean; trial_expired: boolean }[]> {
  const g = await readGuardian(store);
  return FACTOR_NAMES.map((name) => ({
    name,
    enabled: name !== 'push-notification' && g.factors?.[name] === true,
    trial_expired: false,
  }));
}

/** Enables or disables a factor; push-notification cannot be enabled (400). */
export async function setGuardianFactor(
  store: Store,
  name: FactorName,
  enabled: boolean,
): Promise<{ enabled: boolean }> {
  if (name === 'push-notification') {
    if (enabled)
      throw managementErrors.invalidBody(
        'The push-notification factor is not supported: Tessera offers otp, sms, email and recovery-code.',
      );
    return { enabled: false };
  }
  if (!(FACTORS as readonly string[]).includes(name)) throw managementErrors.notFound('Factor not found');
  const g = await readGuardian(store);
  await writeGuardian(store, { ...g, factors: { ...g.factors, [name as Factor]: enabled } });
  return { enabled };
}

/** The MFA policies: `[]` (only when a rule or action asks) or `["all-applications"]`. */
export async function guardianPolicies(store: Store): Promise<string[]> {
  return [...((await readGuardian(store)).policies ?? [])];
}

/** Replaces the MFA policies (checked by the tenant file's schema). */
export async function setGuardianPolicies(store: Store, policies: string[]): Promise<string[]> {
  const g = await readGuardian(store);
  await writeGuardian(store, { ...g, policies: [...new Set(policies)] as Guardian['policies'] });
  return guardianPolicies(store);
}
