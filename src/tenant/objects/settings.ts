import type { AttackProtection } from '../../schemas/attack-protection.js';
import type { TenantSettings } from '../../schemas/tenant-settings.js';
import type { Store } from '../../store/db.js';
import { getSetting } from '../../store/repos/settings.js';
import {
  type EmailTemplateSetting,
  type EmailTemplatesSetting,
  TEMPLATE_NAMES,
} from '../../notify/templates.js';
import { managementErrors } from '../../errors/index.js';
import { copyOf, mergePatch, notFound, writeObjects } from './write.js';

/** The tenant file's `tenant` section (empty when never written). */
export async function getTenantObject(store: Store): Promise<TenantSettings> {
  return copyOf<TenantSettings>(await getSetting<TenantSettings>(store.db, 'tenant')) ?? {};
}

/** Changes tenant settings through apply (given fields replace, `null` removes); returns them all. */
export async function updateTenantObject(
  store: Store,
  patch: Record<string, unknown>,
  now: number,
): Promise<TenantSettings> {
  const tenant = mergePatch(await getTenantObject(store), patch);
  await writeObjects(store, { tenant }, 'tenant', { now });
  return getTenantObject(store);
}

/** The three parts of `attackProtection` the Management API reads and patches, by Auth0's path names. */
export const ATTACK_PROTECTION_PARTS = {
  'brute-force-protection': 'bruteForceProtection',
  'suspicious-ip-throttling': 'suspiciousIpThrottling',
  'breached-password-detection': 'breachedPasswordDetection',
} as const;
export type AttackProtectionPart = keyof typeof ATTACK_PROTECTION_PARTS;

/** One part of attack protection as stored (empty when never written). */
export async function getAttackProtectionPart(store: Store, part: AttackProtectionPart) {
  const all = (await getSetting<AttackProtection>(store.db, 'attackProtection')) ?? {};
  return all[ATTACK_PROTECTION_PARTS[part]] ?? {};
}

/** Changes one part of attack protection through apply (given fields replace, `null` removes). */
export async function updateAttackProtectionPart(
  store: Store,
  part: AttackProtectionPart,
  patch: Record<string, unknown>,
  now: number,
) {
  const field = ATTACK_PROTECTION_PARTS[part];
  const all =
    copyOf<AttackProtection>(await getSetting<AttackProtection>(store.db, 'attackProtection')) ?? {};
  const attackProtection = { ...all, [field]: mergePatch(all[field] ?? {}, patch) };
  await writeObjects(store, { attackProtection }, `attackProtection.${field}`, { now });
  return getAttackProtectionPart(store, part);
}

/** The email template of that name in Auth0's shape (`template` names it); 404 when never written. */
export async function getEmailTemplateObject(store: Store, name: string) {
  const all = (await getSetting<EmailTemplatesSetting>(store.db, 'emailTemplates')) ?? {};
  const t = (all as Record<string, EmailTemplateSetting>)[name];
  if (!t) throw notFound('email template');
  return { template: name, ...t };
}

/**
 * Writes the email template `name` through apply (Liquid checked as the
 * tenant file's are): `mode` `create` (409 when it exists), `replace` (PUT,
 * the whole template) or `patch` (given fields replace, `null` removes; 404
 * when absent).
 */
export async function putEmailTemplateObject(
  store: Store,
  name: string,
  fields: Record<string, unknown>,
  mode: 'create' | 'replace' | 'patch',
  now: number,
) {
  if (!(TEMPLATE_NAMES as readonly string[]).includes(name))
    throw managementErrors.invalidBody(
      `Payload validation error: template: unknown email template "${name}" (known: ${TEMPLATE_NAMES.join(', ')})`,
    );
  const all = { ...((await getSetting<EmailTemplatesSetting>(store.db, 'emailTemplates')) ?? {}) };
  const old = (all as Record<string, EmailTemplateSetting>)[name];
  if (mode === 'create' && old)
    throw managementErrors.conflict(`The email template "${name}" already exists.`);
  if (mode === 'patch' && !old) throw notFound('email template');
  const next = mode === 'patch' ? mergePatch(old!, fields) : mergePatch({}, fields);
  (all as Record<string, unknown>)[name] = next;
  await writeObjects(store, { emailTemplates: all }, `emailTemplates.${name}`, { now });
  return getEmailTemplateObject(store, name);
}
