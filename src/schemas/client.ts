import { type Static, Type } from '@sinclair/typebox';
import { Int, Name, NonEmpty, StringEnum, StringMap, strict, Text } from './common.js';
import { GRANT_TYPES } from './grant-types.js';
import { SigningAlg } from './resource-server.js';
import type { Issue } from './validate.js';

/** Shortest client secret accepted. */
export const MIN_CLIENT_SECRET_LENGTH = 16;

export const TOKEN_ENDPOINT_AUTH_METHODS = ['none', 'client_secret_post', 'client_secret_basic'] as const;

const Lifetime = (description: string) => Int(1, 31557600, { description });

export const RefreshTokenSettings = Type.Object(
  {
    rotation_type: Type.Optional(
      StringEnum(['rotating', 'non-rotating'], { description: 'Whether each use issues a new token.' }),
    ),
    expiration_type: Type.Optional(
      StringEnum(['expiring', 'non-expiring'], { description: 'Whether the token lifetimes apply.' }),
    ),
    leeway: Type.Optional(
      Int(0, 3600, { description: 'Seconds a rotated token stays usable (for retries).' }),
    ),
    token_lifetime: Type.Optional(Lifetime('Absolute lifetime in seconds.')),
    idle_token_lifetime: Type.Optional(Lifetime('Lifetime without use, in seconds.')),
    infinite_token_lifetime: Type.Optional(Type.Boolean({ description: 'No absolute lifetime.' })),
    infinite_idle_token_lifetime: Type.Optional(Type.Boolean({ description: 'No idle lifetime.' })),
  },
  strict({ description: 'How refresh tokens issued to the client behave.' }),
);
export type RefreshTokenSettings = Static<typeof RefreshTokenSettings>;

/** An application (Auth0's client). */
export const Client = Type.Object(
  {
    name: NonEmpty({ description: 'Display name.' }),
    client_id: Name({ description: 'Unique client identifier.' }),
    client_secret: Type.Optional(
      Text({
        description: `Secret of a confidential client, at least ${MIN_CLIENT_SECRET_LENGTH} characters; stored hashed.`,
      }),
    ),
    description: Type.Optional(Text({ description: 'Free text.' })),
    app_type: Type.Optional(
      StringEnum(['regular_web', 'non_interactive', 'spa', 'native'], {
        description: 'Kind of application.',
      }),
    ),
    token_endpoint_auth_method: StringEnum(TOKEN_ENDPOINT_AUTH_METHODS, {
      description: 'How it authenticates at the token endpoint; "none" for a public client.',
    }),
    is_first_party: Type.Optional(Type.Boolean({ description: 'A first-party application.' })),
    is_token_endpoint_ip_header_trusted: Type.Optional(
      Type.Boolean({ description: 'Believe its `auth0-forwarded-for` header (confidential clients only).' }),
    ),
    grant_types: Type.Array(
      StringEnum(GRANT_TYPES, { errorMessage: 'unknown grant type {value}', description: 'A grant type.' }),
      { description: 'The grant types it may use.' },
    ),
    jwt_configuration: Type.Optional(
      Type.Object(
        {
          alg: Type.Optional(SigningAlg('Algorithm its ID tokens are signed with.')),
          lifetime_in_seconds: Type.Optional(Lifetime('ID token lifetime in seconds.')),
        },
        strict({ description: 'ID token settings.' }),
      ),
    ),
    refresh_token: Type.Optional(RefreshTokenSettings),
    client_metadata: Type.Optional(StringMap({ description: 'Free string metadata.' })),
  },
  strict({ description: 'An application (client).' }),
);
export type Client = Static<typeof Client>;

/** Rules across a client's fields, for a client whose shape is valid. Paths are relative to the client. */
export function clientIssues(c: Client): Issue[] {
  const issues: Issue[] = [];
  const method = c.token_endpoint_auth_method;
  const at = ['client_secret'];
  if (method === 'none') {
    if (c.client_secret !== undefined)
      issues.push({ path: at, message: 'not allowed when token_endpoint_auth_method is "none"' });
    if (c.is_token_endpoint_ip_header_trusted) {
      issues.push({
        path: ['is_token_endpoint_ip_header_trusted'],
        message: 'only a confidential client (with a secret) may be trusted',
      });
    }
  } else if (c.client_secret === undefined) {
    issues.push({ path: at, message: `required when token_endpoint_auth_method is "${method}"` });
  } else if (c.client_secret.length < MIN_CLIENT_SECRET_LENGTH) {
    issues.push({ path: at, message: `must be at least ${MIN_CLIENT_SECRET_LENGTH} characters` });
  }
  return issues;
}
