import { type Static, Type } from '@sinclair/typebox';
import { Uri } from './common.js';

/**
 * The documents under /.well-known/, as response schemas: Fastify serializes
 * with them, and the OpenAPI document can describe them. Properties are in the
 * order the server writes them (the serializer follows the schema's order).
 */

const Url = (description: string) => Uri({ description });
const Names = (description: string) => Type.Array(Type.String(), { description });

/** OpenID Provider Metadata (OpenID Connect Discovery 1.0), the fields Tessera serves. */
export const OpenIdConfiguration = Type.Object(
  {
    issuer: Url('The `iss` of every token.'),
    token_endpoint: Url('POST /oauth/token.'),
    userinfo_endpoint: Url('GET or POST /userinfo.'),
    jwks_uri: Url('The keys that verify tokens.'),
    revocation_endpoint: Url('POST /oauth/revoke (RFC 7009).'),
    introspection_endpoint: Url('POST /oauth/introspect (RFC 7662).'),
    mfa_challenge_endpoint: Url("POST /mfa/challenge (Auth0's MFA API)."),
    scopes_supported: Names('The OpenID Connect scopes.'),
    response_types_supported: Names('Response types.'),
    grant_types_supported: Names('The grant types the token endpoint serves.'),
    token_endpoint_auth_methods_supported: Names('How clients authenticate.'),
    id_token_signing_alg_values_supported: Names('Algorithms tokens are signed with.'),
    subject_types_supported: Names('Subject identifier types.'),
    claims_supported: Names('Claims the server can give.'),
  },
  { description: 'OpenID Connect discovery document.' },
);
export type OpenIdConfiguration = Static<typeof OpenIdConfiguration>;

/** A public signing key (RFC 7517); other members a key has are served too. */
export const PublicJwk = Type.Object(
  {
    kty: Type.String({ description: 'Key type, "RSA".' }),
    n: Type.Optional(Type.String({ description: 'RSA modulus (base64url).' })),
    e: Type.Optional(Type.String({ description: 'RSA exponent (base64url).' })),
    kid: Type.Optional(Type.String({ description: 'Key id, the `kid` of the tokens it signs.' })),
    use: Type.Optional(Type.String({ description: '"sig".' })),
    alg: Type.Optional(Type.String({ description: 'The algorithm it signs with.' })),
  },
  { additionalProperties: true, description: 'A public key.' },
);

/** A JSON Web Key Set: pending, current and recently retired keys. */
export const Jwks = Type.Object(
  { keys: Type.Array(PublicJwk, { description: 'The published keys.' }) },
  { description: 'The keys that verify tokens.' },
);
export type Jwks = Static<typeof Jwks>;
