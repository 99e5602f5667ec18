import { Liquid } from 'liquidjs';
import type { Kysely } from 'kysely';
import { getSetting } from '../store/repos/settings.js';
import type { Database } from '../store/schema.js';
import type { Message } from './types.js';
import { DEFAULTS } from '../config/defaults.js';

/**
 * The emails Tessera sends, as Auth0 email templates: the tenant file's
 * `emailTemplates` section overrides any of them (Auth0's names and fields),
 * with built-in defaults for every one. Templates are Liquid (liquidjs),
 * rendered without any file system and within time and memory limits; the
 * HTML part escapes every output, the subject and text parts do not.
 */
export const TEMPLATE_NAMES = [
  'verify_email',
  'reset_email',
  'welcome_email',
  'blocked_account',
  'stolen_credentials',
  'mfa_oob_code',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** One template of the tenant file (Auth0's fields, plus `text` for the plain-text part). */
export interface EmailTemplateSetting {
  enabled?: boolean;
  from?: string;
  subject?: string;
  /** HTML, Liquid. */
  body?: string;
  /** Plain text, Liquid (Tessera's own field); without it the text part is the body without its tags. */
  text?: string;
  syntax?: 'liquid';
  /** Where the page sends the user after the link worked (verify_email, reset_email). */
  resultUrl?: string;
  /** How long the link works (verify_email, reset_email). */
  urlLifetimeInSeconds?: number;
}

export type EmailTemplatesSetting = Partial<Record<TemplateName, EmailTemplateSetting>>;

/** Auth0's lifetime of reset and verification links: 5 days. */
export const DEFAULT_URL_LIFETIME_S = DEFAULTS.tickets.accountLinkLifetimeS;

interface Template {
  enabled: boolean;
  subject: string;
  body: string;
  text: string;
}

const p = (s: string) => `<p>${s}</p>`;
const link = (label: string) => `<p><a href="{{ url }}">${label}</a></p><p>{{ url }}</p>`;

export const DEFAULT_TEMPLATES: Record<TemplateName, Template> = {
  verify_email: {
    enabled: true,
    subject: 'Verify your email address for {{ friendly_name }}',
    body: [
      // No name the sign-up form took: anyone can sign up with someone else's address.
      p('Hello,'),
      p('Please confirm that {{ user.email }} is your email address for {{ friendly_name }}:'),
      link('Verify my email address'),
      p(
        'The link works once, for {{ url_lifetime_hours }} hours. If you did not create an account, ignore this email.',
      ),
    ].join('\n'),
    text: [
      'Hello,',
      '',
      'Please confirm that {{ user.email }} is your email address for {{ friendly_name }} by opening this link:',
      '',
      '{{ url }}',
      '',
      'The link works once, for {{ url_lifetime_hours }} hours. If you did not create an account, ignore this email.',
    ].join('\n'),
  },
  reset_email: {
    enabled: true,
    subject: 'Reset your {{ friendly_name }} password',
    body: [
      p('Hello,'),
      p(
        'Someone asked to reset the password of your {{ friendly_name }} account ({{ user.email }}). Choose a new password here:',
      ),
      link('Choose a new password'),
      p(
        'The link works once, for {{ url_lifetime_hours }} hours. If you did not ask for it, ignore this email: your password stays as it is.',
      ),
    ].join('\n'),
    text: [
      'Hello,',
      '',
      'Someone asked to reset the password of your {{ friendly_name }} account ({{ user.email }}). Choose a new password with this link:',
      '',
      '{{ url }}',
      '',
      'The link works once, for {{ url_lifetime_hours }} hours. If you did not ask for it, ignore this email: your password stays as it is.',
    ].join('\n'),
  },
  welcome_email: {
    enabled: false,
    subject: 'Welcome to {{ friendly_name }}',
    body: p('Welcome to {{ friendly_name }}, {{ user.email }}!'),
    text: 'Welcome to {{ friendly_name }}, {{ user.email }}!',
  },
  blocked_account: {
    enabled: true,
    subject:
      '{% if url %}Your {{ friendly_name }} account has been blocked{% else %}Failed logins to your {{ friendly_name }} account{% endif %}',
    body: [
      p('Hello,'),
      p(
        'We detected {{ attempts }} consecutive failed attempts to log in to your {{ friendly_name }} account ({{ identifier }}){% if per_ip %} from the IP address {{ ip }}{% endif %}.{% if url %} We blocked further attempts{% if per_ip %} from the IP address {{ ip }}{% endif %} to protect your account.{% endif %}',
      ),
      '{% if url %}',
      p(
        'If these attempts were yours, unblock your account with this link (it works once, within 24 hours):',
      ),
      link('Unblock my account'),
      p(
        'If they were not yours, someone may be trying to guess your password: do not use the link, and consider changing your password (which also lifts the block).',
      ),
      '{% else %}',
      p(
        'If these attempts were not yours, someone may be trying to guess your password: consider changing it.',
      ),
      '{% endif %}',
    ].join('\n'),
    text: [
      'Hello,',
      '',
      'We detected {{ attempts }} consecutive failed attempts to log in to your {{ friendly_name }} account ({{ identifier }}){% if per_ip %} from the IP address {{ ip }}{% endif %}.{% if url %}',
      'We blocked further attempts{% if per_ip %} from the IP address {{ ip }}{% endif %} to protect your account.',
      '',
      'If these attempts were yours, unblock your account with this link (it works once, within 24 hours):',
      '',
      '{{ url }}',
      '',
      'If they were not yours, someone may be trying to guess your password: do not use the link, and consider changing your password (which also lifts the block).{% else %}',
      '',
      'If these attempts were not yours, someone may be trying to guess your password: consider changing it.{% endif %}',
    ].join('\n'),
  },
  stolen_credentials: {
    enabled: true,
    subject: 'Your {{ friendly_name }} password has appeared in a data breach',
    body: [
      p('Hello,'),
      p(
        'The password of your {{ friendly_name }} account ({{ identifier }}) appears in a published data breach of another website, so others may know it.',
      ),
      '{% if blocked %}',
      p(
        'To protect your account, logins with this password are blocked until it is changed. Choose a new password here:',
      ),
      '{% else %}',
      p('Change it as soon as possible, here and wherever else you used it:'),
      '{% endif %}',
      '{% if url %}',
      link('Choose a new password'),
      p('The link works once, for {{ url_lifetime_hours }} hours.'),
      '{% else %}',
      p('Use "Forgot password?" on the login form: we will email you a link to choose a new one.'),
      '{% endif %}',
    ].join('\n'),
    text: [
      'Hello,',
      '',
      'The password of your {{ friendly_name }} account ({{ identifier }}) appears in a published data breach of another website, so others may know it.',
      '{% if blocked %}To protect your account, logins with this password are blocked until it is changed.{% else %}Change it as soon as possible, here and wherever else you used it.{% endif %}',
      '',
      '{% if url %}Choose a new password with this link (it works once, for {{ url_lifetime_hours }} hours):',
      '',
      '{{ url }}{% else %}Use "Forgot password?" on the login form: we will email you a link to choose a new one.{% endif %}',
    ].join('\n'),
  },
  mfa_oob_code: {
    enabled: true,
    subject: '{{ friendly_name }} verification code',
    body: p(
      'Your {{ friendly_name }} verification code is <strong>{{ code }}</strong>. It expires in 5 minutes. If you did not try to log in, change your password.',
    ),
    text: 'Your {{ friendly_name }} verification code is {{ code }}. It expires in 5 minutes. If you did not try to log in, change your password.',
  },
};

// No file system: `include` and `render` find nothing. Limits keep a template from hogging the server.
const limits = { templates: {}, parseLimit: 100_000, renderLimit: 1_000, memoryLimit: 10_000_000 };
const plain = new Liquid({ ...limits, ownPropertyOnly: true });
const html = new Liquid({ ...limits, ownPropertyOnly: true, outputEscape: 'escape' });

/** The Liquid syntax error of a template, or undefined when it parses (the tenant file's check). */
export function liquidSyntaxError(source: string): string | undefined {
  try {
    plain.parse(source);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/** The tenant's setting for one template (empty when it sets nothing). */
export async function templateSetting(
  db: Kysely<Database>,
  name: TemplateName,
): Promise<EmailTemplateSetting> {
  const all = await getSetting<EmailTemplatesSetting>(db, 'emailTemplates');
  return all?.[name] ?? {};
}

/** Whether the tenant left a template enabled (its own `enabled`, else the default's). */
export async function templateEnabled(db: Kysely<Database>, name: TemplateName): Promise<boolean> {
  return (await templateSetting(db, name)).enabled ?? DEFAULT_TEMPLATES[name].enabled;
}

/** HTML to readable text, for a tenant template that has no `text` part. */
export function htmlToText(s: string): string {
  return s
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr)>/gi, '\n\n')
    .replace(/<a\s[^>]*href=(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a>/gi, (_m, _q, href: string, label: string) =>
      label.trim() === href ? href : `${label} (${href})`,
    )
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** What every template may use, besides its own variables. */
export interface TemplateVars {
  friendly_name: string;
  user?: Record<string, unknown>;
  url?: string;
  application?: { name?: string; client_id?: string };
  [name: string]: unknown;
}

/**
 * Renders one email for `to`, or undefined when the tenant disabled that
 * template. A tenant template that fails to render is logged by the caller
 * (the error says which), never sent half-made.
 */
export async function renderEmail(
  db: Kysely<Database>,
  name: TemplateName,
  to: string,
  vars: TemplateVars,
): Promise<Message | undefined> {
  const own = await templateSetting(db, name);
  const def = DEFAULT_TEMPLATES[name];
  if (!(own.enabled ?? def.enabled)) return undefined;
  const lifetime = own.urlLifetimeInSeconds ?? DEFAULT_URL_LIFETIME_S;
  const data = { url_lifetime_hours: Math.round(lifetime / 360) / 10, ...vars };
  const body = own.body ?? def.body;
  const [subject, htmlPart, textPart] = await Promise.all([
    plain.parseAndRender(own.subject ?? def.subject, data),
    html.parseAndRender(body, data),
    own.text !== undefined || own.body === undefined
      ? plain.parseAndRender(own.text ?? def.text, data)
      : undefined,
  ]);
  return {
    channel: 'email',
    to,
    subject: subject.replace(/\s+/g, ' ').trim(),
    html: htmlPart,
    text: (textPart ?? htmlToText(htmlPart)).trimEnd(),
    ...(own.from ? { from: own.from } : {}),
  };
}
