import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * Collects the management routes' schemas into an OpenAPI 3 document
 * (@fastify/swagger, registered in the plugin's context so that only
 * management routes appear) and serves it at `<issuer>api/v2/openapi.json`,
 * without a token: it describes the API, it holds no data.
 */
export async function installOpenApi(app: FastifyInstance, issuer: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tessera Management API v2',
        description:
          "Auth0's Management API v2 dialect: Bearer tokens from client_credentials for <issuer>api/v2/.",
        version: '2',
      },
      servers: [{ url: new URL(issuer).origin }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearer: [] }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
