import { type Static, type TUnsafe, Type } from '@sinclair/typebox';
import { Action } from '../schemas/action.js';
import { AttackProtection } from '../schemas/attack-protection.js';
import { Client, clientIssues } from '../schemas/client.js';
import { ClientGrant } from '../schemas/client-grant.js';
import { strict } from '../schemas/common.js';
import { Connection } from '../schemas/connection.js';
import { Guardian } from '../schemas/guardian.js';
import { isMapping, type Segment } from '../schemas/path.js';
import { ResourceServer } from '../schemas/resource-server.js';
import { Role } from '../schemas/role.js';
import { Rule, RulesConfig } from '../schemas/rule.js';
import { TenantSettings } from '../schemas/tenant-settings.js';
import { type CustomPasswordHash, customPasswordHashIssues, User, userIssues } from '../schemas/user.js';
import { compile, formatIssue, type Issue, type RankedIssue, sortIssues } from '../schemas/validate.js';
import type { EmailTemplatesSetting } from '../notify/templates.js';
import { type KnownNames, referenceErrors } from './references.js';
import { checkEmailTemplates } from './schema-email.js';
import { scriptErrors } from './scripts.js';

export { GRANT_TYPES } from '../schemas/grant-types.js';

/** Every problem found in a tenant file; the message has one `path: problem` per line. */
export class TenantFileError extends Error {
  override name = 'TenantFileError';
  readonly errors: string[];
  constructor(errors: string[]) {
    super(errors.join('\n'));
    this.errors = errors;
  }
}

/**
 * The whole tenant file: one list or mapping per object family, each made of
 * the object schemas in `src/schemas/`. Every section is optional; an absent
 * section is left alone by apply.
 */
export const TenantFile = Type.Object(
  {
    tenant: Type.Optional(TenantSettings),
    connections: Type.Optional(Type.Array(Connection, { description: 'Unique by name.' })),
    resourceServers: Type.Optional(Type.Array(ResourceServer, { description: 'Unique by identifier.' })),
    clients: Type.Optional(Type.Array(Client, { description: 'Unique by client_id.' })),
    roles: Type.Optional(Type.Array(Role, { description: 'RBAC roles, unique by name.' })),
    users: Type.Optional(
      Type.Array(User, { description: 'Unique by user_id, and email and username per connection.' }),
    ),
    rules: Type.Optional(Type.Array(Rule, { description: 'Unique by name.' })),
    actions: Type.Optional(Type.Array(Action, { description: 'Unique by name.' })),
    rulesConfigs: Type.Optional(Type.Array(RulesConfig, { description: 'Unique by key.' })),
    clientGrants: Type.Optional(
      Type.Array(ClientGrant, { description: 'At most one per client and audience.' }),
    ),
    guardian: Type.Optional(Guardian),
    attackProtection: Type.Optional(AttackProtection),
    emailTemplates: Type.Optional(
      Type.Unknown({
        description:
          "Email templates by Auth0's names (verify_email, reset_email, …); checked by tenant/schema-email.ts (Liquid syntax included).",
      }) as unknown as TUnsafe<EmailTemplatesSetting>,
    ),
  },
  strict({ description: 'A Tessera tenant file.' }),
);

/** The sections apply stores whole, each as a setting under its own name, in file order. */
export const WHOLE_SECTION_KEYS = [
  'rules',
  'actions',
  'rulesConfigs',
  'clientGrants',
  'guardian',
  'attackProtection',
  'emailTemplates',
] as const;

/** A validated tenant file. */
export type TenantDoc = Static<typeof TenantFile>;
export type TenantSection = TenantSettings;
export type ConnectionDoc = Connection;
export type ResourceServerDoc = ResourceServer;
export type ClientDoc = Client;
export type UserDoc = User;
export type { CustomPasswordHash };

const validator = compile(TenantFile);

/**
 * Checks the shape of a parsed tenant file: unknown fields, types, enum
 * values, required fields (the compiled schema), then what a schema cannot
 * say: rules across an object's fields (for an object whose fields are
 * valid) and uniqueness within a list. Returns the errors in document order
 * (empty when the shape is valid); cross-references are checked by
 * `references.ts`.
 */
export function shapeErrors(value: unknown): string[] {
  const issues: RankedIssue[] = validator.issues(value);
  if (isMapping(value)) {
    const clean = (prefix: Segment[]) => !issues.some((i) => startsWith(i.path, prefix));
    const within = (at: Segment[], found: Issue[]) =>
      found.map((i): RankedIssue => ({ path: [...at, ...i.path], message: i.message, after: at }));

    eachItem(value.clients, ['clients'], (c, at) => {
      if (clean(at)) issues.push(...within(at, clientIssues(c as Client)));
    });
    eachItem(value.users, ['users'], (u, at) => {
      const hashAt = [...at, 'custom_password_hash'];
      if (isMapping(u) && u.custom_password_hash !== undefined && clean(hashAt)) {
        issues.push(
          ...within(hashAt, customPasswordHashIssues(u.custom_password_hash as CustomPasswordHash)),
        );
      }
      if (clean(at)) issues.push(...within(at, userIssues(u as User)));
    });

    unique(issues, value.connections, ['connections'], 'name', 'connection name');
    eachItem(value.resourceServers, ['resourceServers'], (r, at) => {
      if (isMapping(r)) unique(issues, r.scopes, [...at, 'scopes'], 'value', 'scope');
    });
    unique(issues, value.resourceServers, ['resourceServers'], 'identifier', 'identifier');
    unique(issues, value.clients, ['clients'], 'client_id', 'client_id');
    unique(issues, value.roles, ['roles'], 'name', 'role name');
    unique(issues, value.rules, ['rules'], 'name', 'rule name');
    unique(issues, value.actions, ['actions'], 'name', 'action name');
    unique(issues, value.rulesConfigs, ['rulesConfigs'], 'key', 'key');
    duplicates(
      issues,
      value.clientGrants,
      ['clientGrants'],
      (g) =>
        typeof g.client_id === 'string' && typeof g.audience === 'string'
          ? `${g.client_id}\n${g.audience}`
          : undefined,
      (g) => ({
        path: [],
        message: `duplicate grant for client "${g.client_id}" and audience "${g.audience}"`,
      }),
    );
  }
  const errors = sortIssues(TenantFile, value, issues).map(formatIssue);
  if (isMapping(value) && value.emailTemplates !== undefined)
    checkEmailTemplates(value.emailTemplates, 'emailTemplates', errors);
  return errors;
}

function startsWith(path: Segment[], prefix: Segment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => path[i] === s);
}

function eachItem(list: unknown, at: Segment[], fn: (item: unknown, at: Segment[]) => void): void {
  if (!Array.isArray(list)) return;
  for (const [i, item] of list.entries()) fn(item, [...at, i]);
}

/**
 * Reports each item of `list` (at `at`) whose `key` was seen before, after
 * the item's own issues. An invalid item is still compared when it is a
 * mapping and `key` finds a string in it.
 */
function duplicates(
  issues: RankedIssue[],
  list: unknown,
  at: Segment[],
  key: (item: Record<string, unknown>) => string | undefined,
  issue: (item: Record<string, unknown>) => Issue,
): void {
  const seen = new Set<string>();
  eachItem(list, at, (item, itemAt) => {
    const k = isMapping(item) ? key(item) : undefined;
    if (k === undefined) return;
    if (seen.has(k)) {
      const found = issue(item as Record<string, unknown>);
      issues.push({ path: [...itemAt, ...found.path], message: found.message, after: itemAt });
    }
    seen.add(k);
  });
}

/** Items unique by one string field: a duplicate is an error at that field, `duplicate <label> "<value>"`. */
function unique(issues: RankedIssue[], list: unknown, at: Segment[], field: string, label: string): void {
  duplicates(
    issues,
    list,
    at,
    (item) => (typeof item[field] === 'string' ? item[field] : undefined),
    (item) => ({ path: [field], message: `duplicate ${label} "${String(item[field])}"` }),
  );
}

/**
 * Validates a parsed tenant file (shape, then cross-references; `known` adds
 * the database's names at apply time) and returns it typed, or throws one
 * TenantFileError listing every problem.
 */
export function validateTenant(value: unknown, known?: KnownNames, unjudged?: Set<string>): TenantDoc {
  // `unjudged`: paths whose value the database supplied (a kept secret), not the file.
  const errors = shapeErrors(value).filter((e) => !unjudged?.has(e.slice(0, e.indexOf(': '))));
  if (errors.length === 0) errors.push(...referenceErrors(value as TenantDoc, known));
  if (errors.length === 0) errors.push(...scriptErrors(value as TenantDoc));
  if (errors.length > 0) throw new TenantFileError(errors);
  return value as TenantDoc;
}
