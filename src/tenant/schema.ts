import { MIN_CLIENT_SECRET_LENGTH } from '../oauth/client-secret.js';
import {
  arrayOf,
  boolean,
  child,
  email,
  httpUrl,
  type Infer,
  integer,
  metadata,
  object,
  oneOf,
  optional,
  record,
  string,
  uniqueBy,
} from './check.js';
import { type KnownNames, referenceErrors } from './references.js';
import { emailSections } from './schema-email.js';
import { laterSections } from './schema-later.js';

/** Every problem found in a tenant file; the message has one `path: problem` per line. */
export class TenantFileError extends Error {
  override name = 'TenantFileError';
  readonly errors: string[];
  constructor(errors: string[]) {
    super(errors.join('\n'));
    this.errors = errors;
  }
}

/** The grant types a client may list (Auth0's names). */
export const GRANT_TYPES = [
  'password',
  'refresh_token',
  'client_credentials',
  'http://auth0.com/oauth/grant-type/password-realm',
  'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-oob',
  'http://auth0.com/oauth/grant-type/mfa-recovery-code',
] as const;

const name = string({ min: 1, max: 255 });
const text = string();
const signingAlg = oneOf(['RS256', 'PS256']);
const enable = object({ enable: optional(boolean()) });

const tenant = object({
  friendly_name: optional(text),
  picture_url: optional(httpUrl()),
  support_email: optional(email()),
  support_url: optional(httpUrl()),
  enabled_locales: optional(arrayOf(string({ min: 1 }))),
  issuer: optional(
    string({
      refine: (s) => {
        if (!/^https?:\/\//i.test(s) || !URL.canParse(s)) return 'must be an absolute http(s) URL';
        const u = new URL(s);
        return u.search || u.hash ? 'must not have a query or fragment' : undefined;
      },
    }),
  ),
  default_directory: optional(name),
  default_audience: optional(string({ min: 1 })),
});

const connection = object({
  name,
  display_name: optional(text),
  strategy: oneOf(
    ['auth0'],
    (v) => `unsupported strategy ${JSON.stringify(v)}: only "auth0" (database) is supported`,
  ),
  realms: optional(arrayOf(name)),
  enabled_clients: optional(arrayOf(name)),
  metadata: optional(record(text)),
  options: optional(
    object({
      brute_force_protection: optional(boolean()),
      password_policy: optional(oneOf(['none', 'low', 'fair', 'good', 'excellent'])),
      password_complexity_options: optional(object({ min_length: optional(integer(1, 128)) })),
      password_history: optional(object({ enable: optional(boolean()), size: optional(integer(1, 24)) })),
      password_dictionary: optional(
        object({ enable: optional(boolean()), dictionary: optional(arrayOf(string({ min: 1 }))) }),
      ),
      password_no_personal_info: optional(enable),
      requires_username: optional(boolean()),
      validation: optional(
        object({
          username: optional(object({ min: optional(integer(1, 128)), max: optional(integer(1, 128)) })),
        }),
      ),
      disable_signup: optional(boolean()),
      revoke_refresh_tokens_on_password_change: optional(boolean()),
    }),
  ),
});

const scope = object({ value: string({ min: 1 }), description: optional(text) });
const resourceServer = object({
  name: optional(string({ min: 1 })),
  identifier: string({ min: 1, max: 1024 }),
  scopes: optional(uniqueBy(scope, 'value', 'scope')),
  signing_alg: optional(signingAlg),
  token_lifetime: optional(integer(1, 2592000)),
  allow_offline_access: optional(boolean()),
  enforce_policies: optional(boolean()),
  token_dialect: optional(
    oneOf(['access_token', 'access_token_authz', 'rfc9068_profile', 'rfc9068_profile_authz']),
  ),
  skip_consent_for_verifiable_first_party_clients: optional(boolean()),
});

const lifetime = integer(1, 31557600);
const client = object(
  {
    name: string({ min: 1 }),
    client_id: name,
    client_secret: optional(text),
    description: optional(text),
    app_type: optional(oneOf(['regular_web', 'non_interactive', 'spa', 'native'])),
    token_endpoint_auth_method: oneOf(['none', 'client_secret_post', 'client_secret_basic']),
    is_first_party: optional(boolean()),
    is_token_endpoint_ip_header_trusted: optional(boolean()),
    grant_types: arrayOf(oneOf(GRANT_TYPES, (v) => `unknown grant type ${JSON.stringify(v)}`)),
    jwt_configuration: optional(
      object({ alg: optional(signingAlg), lifetime_in_seconds: optional(lifetime) }),
    ),
    refresh_token: optional(
      object({
        rotation_type: optional(oneOf(['rotating', 'non-rotating'])),
        expiration_type: optional(oneOf(['expiring', 'non-expiring'])),
        leeway: optional(integer(0, 3600)),
        token_lifetime: optional(lifetime),
        idle_token_lifetime: optional(lifetime),
        infinite_token_lifetime: optional(boolean()),
        infinite_idle_token_lifetime: optional(boolean()),
      }),
    ),
    client_metadata: optional(record(text)),
  },
  (c, path, errors) => {
    const method = c.token_endpoint_auth_method;
    const at = child(path, 'client_secret');
    if (method === 'none') {
      if (c.client_secret !== undefined)
        errors.push(`${at}: not allowed when token_endpoint_auth_method is "none"`);
      if (c.is_token_endpoint_ip_header_trusted) {
        errors.push(
          `${child(path, 'is_token_endpoint_ip_header_trusted')}: only a confidential client (with a secret) may be trusted`,
        );
      }
    } else if (c.client_secret === undefined) {
      errors.push(`${at}: required when token_endpoint_auth_method is "${method}"`);
    } else if (c.client_secret.length < MIN_CLIENT_SECRET_LENGTH) {
      errors.push(`${at}: must be at least ${MIN_CLIENT_SECRET_LENGTH} characters`);
    }
  },
);

// Whole-string formats, so a placeholder such as "$2b$10$..." is caught here, not at login.
const HASH_FORMAT = {
  bcrypt: /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/,
  argon2: /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/,
};

const customPasswordHash = object(
  { algorithm: oneOf(['bcrypt', 'argon2']), hash: object({ value: string({ min: 1 }) }) },
  (h, path, errors) => {
    if (!HASH_FORMAT[h.algorithm].test(h.hash.value))
      errors.push(`${path}.hash.value: not a ${h.algorithm} hash (expected a $2b$… or $argon2id$… string)`);
  },
);

const user = object(
  {
    connection: name,
    user_id: optional(name),
    email: optional(email()),
    username: optional(name),
    email_verified: optional(boolean()),
    password: optional(string({ min: 1 })),
    custom_password_hash: optional(customPasswordHash),
    name: optional(text),
    nickname: optional(text),
    picture: optional(text),
    given_name: optional(text),
    family_name: optional(text),
    blocked: optional(boolean()),
    app_metadata: optional(metadata()),
    user_metadata: optional(metadata()),
  },
  (u, path, errors) => {
    if (u.password !== undefined && u.custom_password_hash !== undefined) {
      errors.push(`${path}: password and custom_password_hash are mutually exclusive`);
    }
    if (u.email === undefined && u.username === undefined)
      errors.push(`${path}: needs an email or a username`);
  },
);

/** The whole tenant file. Every section is optional; an absent section is left alone by apply. */
export const tenantFile = object({
  tenant: optional(tenant),
  connections: optional(uniqueBy(connection, 'name', 'connection name')),
  resourceServers: optional(uniqueBy(resourceServer, 'identifier', 'identifier')),
  clients: optional(uniqueBy(client, 'client_id', 'client_id')),
  users: optional(arrayOf(user)),
  ...laterSections,
  ...emailSections,
});

/** A validated tenant file. */
export type TenantDoc = Infer<typeof tenantFile>;
export type TenantSection = NonNullable<TenantDoc['tenant']>;
export type ConnectionDoc = NonNullable<TenantDoc['connections']>[number];
export type ResourceServerDoc = NonNullable<TenantDoc['resourceServers']>[number];
export type ClientDoc = NonNullable<TenantDoc['clients']>[number];
export type UserDoc = NonNullable<TenantDoc['users']>[number];

/**
 * Checks the shape of a parsed tenant file: unknown fields, types, enum
 * values, required fields and per-object rules. Returns the errors (empty
 * when the shape is valid); cross-references are checked by `references.ts`.
 */
export function shapeErrors(value: unknown): string[] {
  const errors: string[] = [];
  tenantFile(value, '', errors);
  return errors;
}

/**
 * Validates a parsed tenant file (shape, then cross-references; `known` adds
 * the database's names at apply time) and returns it typed, or throws one
 * TenantFileError listing every problem.
 */
export function validateTenant(value: unknown, known?: KnownNames): TenantDoc {
  const errors = shapeErrors(value);
  if (errors.length === 0) errors.push(...referenceErrors(value as TenantDoc, known));
  if (errors.length > 0) throw new TenantFileError(errors);
  return value as TenantDoc;
}
