import { PASSWORD_POLICIES } from '../schemas/connection.js';
import { isCommonPassword } from './common-passwords.js';

/** Auth0's password policy levels for database connections (the tenant file's list). */
export const POLICY_LEVELS = PASSWORD_POLICIES;
export type PolicyLevel = (typeof POLICY_LEVELS)[number];

/**
 * The level of a connection that sets no `options.password_policy`: `good`,
 * the level Auth0's dashboard gives a new database connection. Set
 * `password_policy: none` explicitly to accept any non-empty password.
 */
export const DEFAULT_POLICY_LEVEL: PolicyLevel = 'good';

interface LevelRules {
  minLength: number;
  /** `all3`: lower, upper and digit; `3of4`: three of lower, upper, digit, special. */
  classes?: 'all3' | '3of4';
  /** No run of more than two identical characters. */
  noTriples?: boolean;
  /** Not in the common-password dictionary. */
  notCommon?: boolean;
}

const LEVELS: Record<PolicyLevel, LevelRules> = {
  none: { minLength: 1 },
  low: { minLength: 6 },
  fair: { minLength: 8, classes: 'all3' },
  good: { minLength: 8, classes: '3of4' },
  excellent: { minLength: 10, classes: '3of4', noTriples: true, notCommon: true },
};

/*
 * The character classes are a superset of Auth0's (which are ASCII only:
 * a-z, A-Z, 0-9 and ASCII punctuation or space), so every password Auth0
 * accepts is accepted here too: `é` is a lower case letter, `€` special.
 */
const CLASSES = [
  { label: 'lower case letters (a-z)', test: /\p{Ll}/u },
  { label: 'upper case letters (A-Z)', test: /\p{Lu}/u },
  { label: 'numbers (0-9)', test: /\p{Nd}/u },
  { label: 'special characters (e.g. !@#$%^&*)', test: /[^\p{L}\p{N}]/u },
] as const;

/** The part of a connection the policy reads: Auth0's `options`. */
export interface PolicyConnection {
  options?: Record<string, unknown>;
}

/** What the user is called, for `password_no_personal_info`. */
export interface PersonalInfo {
  email?: string | null;
  username?: string | null;
  name?: string | null;
}

/** The effective policy of a connection, from its options. */
export interface PasswordPolicy {
  level: PolicyLevel;
  minLength: number;
  /** Lower-cased extra words, or undefined when `password_dictionary` is not enabled. */
  dictionary?: Set<string>;
  noPersonalInfo: boolean;
}

function mapping(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function passwordPolicyOf(connection: PolicyConnection): PasswordPolicy {
  const o = mapping(connection.options);
  const raw = o.password_policy;
  const level = POLICY_LEVELS.includes(raw as PolicyLevel) ? (raw as PolicyLevel) : DEFAULT_POLICY_LEVEL;
  const min = mapping(o.password_complexity_options).min_length;
  const dict = mapping(o.password_dictionary);
  const words = Array.isArray(dict.dictionary) ? dict.dictionary : [];
  return {
    level,
    minLength: Number.isInteger(min) && (min as number) >= 1 ? (min as number) : LEVELS[level].minLength,
    dictionary:
      dict.enable === true
        ? new Set(words.filter((w): w is string => typeof w === 'string').map((w) => w.toLowerCase()))
        : undefined,
    noPersonalInfo: mapping(o.password_no_personal_info).enable === true,
  };
}

/**
 * The words of the user's identity a password must not contain: the email's
 * local part, the username, the name and each word of it. Fragments shorter
 * than 3 characters are ignored (a user called "Al" may still use "always").
 */
function personalFragments(user: PersonalInfo): { field: string; fragments: string[] }[] {
  const keep = (s: string) => [...s].length >= 3;
  const out: { field: string; fragments: string[] }[] = [];
  if (user.email) {
    const i = user.email.lastIndexOf('@');
    const local = i > 0 ? user.email.slice(0, i) : user.email;
    out.push({ field: 'email address (the part before @)', fragments: [local].filter(keep) });
  }
  if (user.username) out.push({ field: 'username', fragments: [user.username].filter(keep) });
  if (user.name) {
    out.push({ field: 'name', fragments: [user.name, ...user.name.split(/\s+/)].filter(keep) });
  }
  return out.map(({ field, fragments }) => ({ field, fragments: fragments.map((f) => f.toLowerCase()) }));
}

/**
 * Checks a password against its connection's policy; returns one message per
 * failed rule (empty when the password is acceptable). Lengths count code
 * points, so an emoji is one character, as a person counts it.
 */
export function checkPassword(password: string, connection: PolicyConnection, user?: PersonalInfo): string[] {
  const policy = passwordPolicyOf(connection);
  const rules = LEVELS[policy.level];
  const at = `password policy "${policy.level}"`;
  const failures: string[] = [];
  if ([...password].length < policy.minLength) {
    failures.push(`${at}: at least ${policy.minLength} character${policy.minLength === 1 ? '' : 's'}`);
  }
  const present = CLASSES.filter((c) => c.test.test(password));
  if (rules.classes === 'all3' && !CLASSES.slice(0, 3).every((c) => present.includes(c))) {
    failures.push(
      `${at}: all of: ${CLASSES.slice(0, 3)
        .map((c) => c.label)
        .join(', ')}`,
    );
  }
  if (rules.classes === '3of4' && present.length < 3) {
    failures.push(`${at}: at least 3 of: ${CLASSES.map((c) => c.label).join(', ')}`);
  }
  if (rules.noTriples && /(.)\1\1/su.test(password)) {
    failures.push(`${at}: no more than 2 identical characters in a row`);
  }
  const lower = password.toLowerCase();
  const common = isCommonPassword(password);
  if (rules.notCommon && common) failures.push(`${at}: the password is too common`);
  if (policy.dictionary) {
    if (common && !rules.notCommon) failures.push('password_dictionary: the password is too common');
    if (policy.dictionary.has(lower)) {
      failures.push("password_dictionary: the password is a word of the connection's dictionary");
    }
  }
  if (policy.noPersonalInfo && user) {
    for (const { field, fragments } of personalFragments(user)) {
      if (fragments.some((f) => lower.includes(f))) {
        failures.push(`password_no_personal_info: must not contain the user's ${field}`);
      }
    }
  }
  return failures;
}

/** A password that its connection's policy refuses; `failures` names every failed rule. */
export class PasswordPolicyError extends Error {
  override name = 'PasswordPolicyError';
  readonly failures: string[];
  constructor(failures: string[]) {
    super(failures.join('\n'));
    this.failures = failures;
  }
}

/** Throws a PasswordPolicyError listing every failed rule, if any. */
export function assertPasswordPolicy(
  password: string,
  connection: PolicyConnection,
  user?: PersonalInfo,
): void {
  const failures = checkPassword(password, connection, user);
  if (failures.length > 0) throw new PasswordPolicyError(failures);
}
