import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * Collects the management routes' schemas into an OpenAPI 3 document
 * (@fastify/swagger, registered in the plugin's context so that only
 * management routes appear) and serves it at `<issuer>api/v2/openapi.json`,
 * without a token: it describes the API, it holds no data. A rendered page
 * (@fastify/swagger-ui, its assets served from the package: no network) is
 * at `<issuer>api/v2/docs`.
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
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // No badge from validator.swagger.io: the page needs no network.
    uiConfig: { validatorUrl: null } as Record<string, unknown>,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
