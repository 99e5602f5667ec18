import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { OIDC_SCOPES } from '../tokens/scopes.js';
import { GRANTS } from '../oauth/grants/index.js';
import type { Runtime } from '../runtime.js';
import { Jwks, OpenIdConfiguration } from '../schemas/discovery.js';

/** OpenID Connect discovery and the JWKS, which APIs fetch to validate tokens. */
export const wellKnownRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (server, { rt }) => {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const issuer = rt.config.issuer;
  const discovery: OpenIdConfiguration = {
    issuer,
    token_endpoint: `${issuer}oauth/token`,
    userinfo_endpoint: `${issuer}userinfo`,
    jwks_uri: `${issuer}.well-known/jwks.json`,
    revocation_endpoint: `${issuer}oauth/revoke`,
    introspection_endpoint: `${issuer}oauth/introspect`,
    mfa_challenge_endpoint: `${issuer}mfa/challenge`,
    scopes_supported: [...OIDC_SCOPES],
    response_types_supported: ['token'],
    grant_types_supported: [...GRANTS.keys()],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    id_token_signing_alg_values_supported: ['RS256', 'PS256'],
    subject_types_supported: ['public'],
    claims_supported: [
      'aud',
      'email',
      'email_verified',
      'exp',
      'family_name',
      'given_name',
      'iat',
      'iss',
      'name',
      'nickname',
      'picture',
      'sub',
      'updated_at',
    ],
  };
  const openIdConfiguration = { schema: { response: { 200: OpenIdConfiguration } } };
  app.get('/.well-known/openid-configuration', openIdConfiguration, async (_request, reply) => {
    reply.header('Cache-Control', 'public, max-age=3600');
    return discovery;
  });
  app.get('/.well-known/jwks.json', { schema: { response: { 200: Jwks } } }, async (_request, reply) => {
    reply.header('Cache-Control', 'public, max-age=300');
    // jose's JWK type leaves every member optional; a published key always has its kty.
    return (await rt.keys.jwks()) as Jwks;
  });
};
