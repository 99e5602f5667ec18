import { pathToFileURL } from 'node:url';
import fastifyJwt from '@fastify/jwt';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import buildGetJwks from 'get-jwks';

/**
 * The Orders API: a sample resource server, the last step of the flow. An
 * app logs a user in at Tessera (password grant, `audience` = this API) and
 * calls this API with the access token. The API checks the token with the
 * field's own libraries — `@fastify/jwt` for the Bearer header and the claims,
 * `get-jwks` for Tessera's published keys (fetched once, cached, re-fetched
 * for an unknown `kid`) — and never calls Tessera per request.
 */
export interface OrdersApiOptions {
  /** Tessera's issuer (the `iss` claim), with its trailing slash. */
  issuer: string;
  /** This API's identifier in Tessera (the `aud` claim). */
  audience: string;
  /** Where the signing keys are published; default `<issuer>.well-known/jwks.json`. */
  jwksUrl?: string;
  /** The clock, epoch milliseconds (tests share Tessera's test clock). */
  now?: () => number;
  logger?: boolean;
}

export const REQUIRED_SCOPE = 'read:orders';

const SAMPLE_ORDERS = [
  { id: 'ord_1001', item: 'Espresso beans, 1 kg', quantity: 2, total: '38.00 EUR', status: 'shipped' },
  { id: 'ord_1002', item: 'Burr grinder', quantity: 1, total: '129.00 EUR', status: 'processing' },
];

type Claims = { sub: string; scope?: string };

/** Errors of @fastify/jwt and get-jwks that say "this token is no good": 401, not the API's fault. */
const MISSING = new Set(['FST_JWT_NO_AUTHORIZATION_IN_HEADER']);
const INVALID = new Set([
  'FST_JWT_BAD_REQUEST',
  'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
  'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED',
  'FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED',
  'FAST_JWT_MISSING_SIGNATURE',
  'JWK_NOT_FOUND',
  'DOMAIN_NOT_ALLOWED',
]);

export async function buildOrdersApi(opts: OrdersApiOptions): Promise<FastifyInstance> {
  const jwksUrl = new URL(opts.jwksUrl ?? `${opts.issuer.replace(/\/?$/, '/')}.well-known/jwks.json`);
  const getJwks = buildGetJwks({ jwksPath: jwksUrl.pathname, issuersWhitelist: [jwksUrl.origin] });
  const app = Fastify({ logger: opts.logger ?? false });

  await app.register(fastifyJwt, {
    decode: { complete: true },
    secret: (_request: FastifyRequest, token: unknown) => {
      const { header } = token as { header: { kid?: string; alg?: string } };
      return getJwks.getPublicKey({ domain: jwksUrl.origin, kid: header.kid, alg: header.alg });
    },
    verify: {
      allowedIss: opts.issuer,
      allowedAud: opts.audience,
      algorithms: ['RS256', 'PS256'],
      requiredClaims: ['sub', 'exp'],
    },
  });
  const clock = opts.now;
  const verify = (request: FastifyRequest) =>
    clock ? request.jwtVerify<Claims>({ clockTimestamp: clock() }) : request.jwtVerify<Claims>();

  app.setErrorHandler((err: { code?: string; statusCode?: number }, request, reply) => {
    const code = err.code ?? '';
    if (MISSING.has(code)) {
      // RFC 6750 §3.1: a request without credentials gets a bare challenge, no error code.
      return reply.code(401).header('WWW-Authenticate', 'Bearer').send({
        error: 'invalid_request',
        error_description: 'Missing access token: send Authorization: Bearer <token>',
      });
    }
    if (INVALID.has(code)) {
      request.log.info({ reason: code }, 'access token refused');
      const description = 'The access token is invalid or expired';
      return reply
        .code(401)
        .header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${description}"`)
        .send({ error: 'invalid_token', error_description: description });
    }
    if (code === 'insufficient_scope') {
      return reply
        .code(403)
        .header('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${REQUIRED_SCOPE}"`)
        .send({ error: code, error_description: `The access token lacks the scope ${REQUIRED_SCOPE}` });
    }
    // The JWKS unreachable or broken: the API's problem, not "log in again".
    request.log.error({ err }, 'cannot check the access token');
    return reply
      .code(503)
      .header('Retry-After', '5')
      .send({ error: 'temporarily_unavailable', error_description: 'Cannot check access tokens right now' });
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: 'not_found', error_description: 'Not found' });
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/orders', async (request, reply) => {
    const claims = await verify(request);
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    if (!scopes.includes(REQUIRED_SCOPE))
      throw Object.assign(new Error('scope'), { code: 'insufficient_scope' });
    reply.header('Cache-Control', 'no-store');
    return { sub: claims.sub, scopes, orders: SAMPLE_ORDERS };
  });

  return app;
}

async function main(): Promise<void> {
  const port = Number(process.env.ORDERS_API_PORT ?? 3001);
  const app = await buildOrdersApi({
    issuer: process.env.TESSERA_ISSUER ?? 'http://localhost:3000/',
    audience: process.env.ORDERS_API_AUDIENCE ?? 'https://api.acme.test/orders',
    jwksUrl: process.env.TESSERA_JWKS_URL || undefined,
    logger: true,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => process.exit(0)));
  }
  await app.listen({ port, host: process.env.ORDERS_API_HOST ?? '127.0.0.1' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
