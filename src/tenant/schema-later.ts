import {
  arrayOf,
  boolean,
  integer,
  ipOrCidr,
  object,
  oneOf,
  optional,
  record,
  string,
  uniqueArrayOf,
  uniqueBy,
} from './check.js';

/**
 * The tenant-file sections whose behaviour the server implements later
 * (rules, actions, rules configs, client grants, MFA, attack protection).
 * Their shape is validated now, with the names of docs/tenant-reference.yaml, and
 * apply stores each one whole as a setting under its section name.
 */

const name = string({ min: 1, max: 255 });
const order = integer(0, 1000000);

const rule = object({
  name,
  enabled: optional(boolean()),
  order: optional(order),
  script: string({ min: 1 }),
});

const action = object({
  name,
  trigger: oneOf(
    ['post-login'],
    (v) => `unsupported trigger ${JSON.stringify(v)}: only "post-login" is supported`,
  ),
  enabled: optional(boolean()),
  order: optional(order),
  secrets: optional(record(string())),
  code: string({ min: 1 }),
});

const rulesConfig = object({
  key: string({
    min: 1,
    max: 127,
    refine: (s) =>
      /^[A-Za-z0-9_\-@*+:]+$/.test(s) ? undefined : 'may only contain letters, digits and _-@*+:',
  }),
  value: string(),
});

const clientGrant = object({
  client_id: name,
  audience: string({ min: 1 }),
  scope: arrayOf(string({ min: 1 })),
});

const guardian = object({
  policies: optional(arrayOf(oneOf(['all-applications']))),
  factors: optional(
    object({
      otp: optional(boolean()),
      sms: optional(boolean()),
      email: optional(boolean()),
      'recovery-code': optional(boolean()),
    }),
  ),
});

const allowlist = optional(arrayOf(ipOrCidr()));
const stageLimit = object({ max_attempts: integer(1, 1000000), rate: integer(1, 2147483647) });
const attackProtection = object({
  bruteForceProtection: optional(
    object({
      enabled: optional(boolean()),
      mode: optional(oneOf(['count_per_identifier_and_ip', 'count_per_identifier'])),
      max_attempts: optional(integer(1, 100)),
      shields: optional(arrayOf(oneOf(['block', 'user_notification']))),
      allowlist,
    }),
  ),
  suspiciousIpThrottling: optional(
    object({
      enabled: optional(boolean()),
      shields: optional(arrayOf(oneOf(['block', 'admin_notification']))),
      allowlist,
      stage: optional(
        object({ 'pre-login': optional(stageLimit), 'pre-user-registration': optional(stageLimit) }),
      ),
    }),
  ),
  breachedPasswordDetection: optional(
    object({
      enabled: optional(boolean()),
      shields: optional(arrayOf(oneOf(['block', 'user_notification', 'admin_notification']))),
    }),
  ),
  ipv6PrefixLength: optional(integer(1, 128)),
});

/** Field checks for the later sections, spread into the tenant file's top level. */
export const laterSections = {
  rules: optional(uniqueBy(rule, 'name', 'rule name')),
  actions: optional(uniqueBy(action, 'name', 'action name')),
  rulesConfigs: optional(uniqueBy(rulesConfig, 'key', 'key')),
  clientGrants: optional(
    uniqueArrayOf(
      clientGrant,
      (g) =>
        typeof g.client_id === 'string' && typeof g.audience === 'string'
          ? `${g.client_id}\n${g.audience}`
          : undefined,
      (g) => `duplicate grant for client "${g.client_id}" and audience "${g.audience}"`,
    ),
  ),
  guardian: optional(guardian),
  attackProtection: optional(attackProtection),
};

/** The settings keys apply writes these sections to, in file order. */
export const LATER_SECTION_KEYS = [
  'rules',
  'actions',
  'rulesConfigs',
  'clientGrants',
  'guardian',
  'attackProtection',
] as const;
