import { liquidSyntaxError, TEMPLATE_NAMES } from '../notify/templates.js';

/**
 * The tenant file's `emailTemplates` section: Auth0's template names and
 * fields, keyed by name, e.g.
 *
 *   emailTemplates:
 *     verify_email: { subject: "Confirm {{ user.email }}", body: "<p>…{{ url }}…</p>", resultUrl: https://app/welcome }
 *     reset_email:  { urlLifetimeInSeconds: 86400 }
 *
 * Checked here on its own (a Check of tenant/check.ts by signature only):
 * unknown names and fields, types, and the Liquid syntax of every template.
 */
const MAX_TEMPLATE = 100_000;
const FIELDS = [
  'template',
  'enabled',
  'from',
  'subject',
  'body',
  'text',
  'syntax',
  'resultUrl',
  'urlLifetimeInSeconds',
  'includeEmailInRedirect',
] as const;

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function templateErrors(name: string, t: unknown, at: string): string[] {
  if (!isMapping(t)) return [`${at}: must be a mapping`];
  const out: string[] = [];
  for (const k of Object.keys(t)) {
    if (!(FIELDS as readonly string[]).includes(k))
      out.push(`${at}.${k}: unknown field (known: ${FIELDS.join(', ')})`);
  }
  const str = (k: string, max: number) => {
    const v = t[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return void out.push(`${at}.${k}: must be a string`);
    if (v.length > max) return void out.push(`${at}.${k}: must be at most ${max} characters`);
    return v;
  };
  for (const k of ['enabled', 'includeEmailInRedirect']) {
    if (t[k] !== undefined && typeof t[k] !== 'boolean') out.push(`${at}.${k}: must be true or false`);
  }
  const template = str('template', 64);
  if (template !== undefined && template !== name)
    out.push(`${at}.template: must be "${name}" (the key) when given`);
  const from = str('from', 320);
  if (from !== undefined && !/^[^<>]*<[^\s@<>]+@[^\s@<>]+>$|^[^\s@<>]+@[^\s@<>]+$/.test(from)) {
    out.push(`${at}.from: must be an address or "Name <address>"`);
  }
  for (const k of ['subject', 'body', 'text']) {
    const v = str(k, k === 'subject' ? 998 : MAX_TEMPLATE);
    const problem = v === undefined ? undefined : liquidSyntaxError(v);
    if (problem) out.push(`${at}.${k}: not valid Liquid: ${problem}`);
  }
  const syntax = str('syntax', 16);
  if (syntax !== undefined && syntax !== 'liquid') out.push(`${at}.syntax: must be "liquid"`);
  const url = str('resultUrl', 2048);
  if (url !== undefined && !/^https?:\/\/[^\s/]+/i.test(url))
    out.push(`${at}.resultUrl: must be an absolute http(s) URL`);
  const ttl = t.urlLifetimeInSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || (ttl as number) < 60 || (ttl as number) > 2_592_000)) {
    out.push(`${at}.urlLifetimeInSeconds: must be a whole number of seconds from 60 to 2592000 (30 days)`);
  }
  return out;
}

/** Checks the `emailTemplates` section; pushes `path: problem` lines onto `errors`. */
export function checkEmailTemplates(value: unknown, path: string, errors: string[]): void {
  const at = path || 'emailTemplates';
  if (!isMapping(value)) {
    errors.push(`${at}: must be a mapping of template names (${TEMPLATE_NAMES.join(', ')})`);
    return;
  }
  for (const [name, t] of Object.entries(value)) {
    if (!(TEMPLATE_NAMES as readonly string[]).includes(name)) {
      errors.push(`${at}.${name}: unknown email template (known: ${TEMPLATE_NAMES.join(', ')})`);
    } else errors.push(...templateErrors(name, t, `${at}.${name}`));
  }
}

/** The field of the tenant file and the settings key apply writes it to. */
export const EMAIL_SECTION_KEYS = ['emailTemplates'] as const;
