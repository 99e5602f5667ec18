import {
  checkPassword,
  type PersonalInfo,
  type PolicyConnection,
  passwordPolicyOf,
} from './password-policy.js';

/**
 * A connection's password policy explained the way Auth0 explains it (the
 * rule list of its `PasswordStrengthError`, from password-sheriff), for the
 * sign-up answer and the reset page, which checks as the user types.
 * Acceptance itself is `checkPassword`'s: this only describes it.
 */
export interface RuleItem {
  message: string;
  code: string;
  verified: boolean;
}

export interface Rule {
  message: string;
  code: string;
  format?: (number | string)[];
  items?: RuleItem[];
  verified: boolean;
}

const CLASSES = [
  { code: 'lowerCase', message: 'lower case letters (a-z)', test: /\p{Ll}/u },
  { code: 'upperCase', message: 'upper case letters (A-Z)', test: /\p{Lu}/u },
  { code: 'numbers', message: 'numbers (i.e. 0-9)', test: /\p{Nd}/u },
  { code: 'specialCharacters', message: 'special characters (e.g. !@#$%^&*)', test: /[^\p{L}\p{N}]/u },
] as const;

/** What the browser needs to check a password as it is typed (the reset page's script). */
export interface ClientPolicy {
  minLength: number;
  classes?: 'all3' | '3of4';
  noTriples: boolean;
}

export function clientPolicy(connection: PolicyConnection): ClientPolicy {
  const policy = passwordPolicyOf(connection);
  const level = policy.level;
  return {
    minLength: policy.minLength,
    classes: level === 'fair' ? 'all3' : level === 'good' || level === 'excellent' ? '3of4' : undefined,
    noTriples: level === 'excellent',
  };
}

/** Auth0's rule list for a password (empty password: every rule unverified). */
export function explainPolicy(connection: PolicyConnection, password = ''): Rule[] {
  const p = clientPolicy(connection);
  const rules: Rule[] = [
    {
      message: 'At least %d characters in length',
      format: [p.minLength],
      code: 'lengthAtLeast',
      verified: [...password].length >= p.minLength,
    },
  ];
  const items = (n: number) =>
    CLASSES.slice(0, n).map((c) => ({ message: c.message, code: c.code, verified: c.test.test(password) }));
  if (p.classes === 'all3') {
    const it = items(3);
    rules.push({
      message: 'Should contain:',
      code: 'shouldContain',
      items: it,
      verified: it.every((i) => i.verified),
    });
  } else if (p.classes === '3of4') {
    const it = items(4);
    rules.push({
      message: 'Contain at least %d of the following %d types of characters:',
      code: 'containsAtLeast',
      format: [3, 4],
      items: it,
      verified: it.filter((i) => i.verified).length >= 3,
    });
  }
  if (p.noTriples) {
    rules.push({
      message: 'No more than %d identical characters in a row (e.g., "%s" not allowed)',
      code: 'identicalChars',
      format: [2, 'aaa'],
      verified: password !== '' && !/(.)\1\1/su.test(password),
    });
  }
  return rules;
}

function formatted(message: string, format: (number | string)[] = []): string {
  let i = 0;
  return message.replace(/%[ds]/g, () => String(format[i++] ?? ''));
}

/** The policy as Auth0's `policy` text: `* At least 8 characters in length\n* …`. */
export function policyText(rules: Rule[]): string {
  return rules
    .map((r) => {
      const line = `* ${formatted(r.message, r.format)}`;
      return r.items ? `${line}\n${r.items.map((i) => ` * ${i.message}`).join('\n')}` : line;
    })
    .join('\n');
}

/** Why a password is refused, in Auth0's terms; undefined when it is accepted. */
export type PasswordRefusal =
  | { kind: 'strength'; rules: Rule[]; policy: string }
  | { kind: 'dictionary' }
  | { kind: 'user_info' };

export function judgePassword(
  password: string,
  connection: PolicyConnection,
  user?: PersonalInfo,
): PasswordRefusal | undefined {
  const failures = checkPassword(password, connection, user);
  if (failures.length === 0) return undefined;
  const rules = explainPolicy(connection, password);
  const strengthFailed = failures.some((f) => f.startsWith('password policy') && !f.includes('too common'));
  if (strengthFailed || rules.some((r) => !r.verified)) {
    return { kind: 'strength', rules, policy: policyText(explainPolicy(connection)) };
  }
  if (failures.some((f) => f.includes('too common') || f.startsWith('password_dictionary'))) {
    return { kind: 'dictionary' };
  }
  return { kind: 'user_info' };
}
