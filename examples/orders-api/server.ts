import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors as jose, type JWTPayload, jwtVerify } from 'jose';

/**
 * The Orders API: a sample resource server, the last step of the flow. An
 * app logs a user in at Tessera (password grant, `audience` = this API) and
 * calls this API with the access token; the API checks the token against
 * Tessera's published keys (JWKS), never by calling Tessera per request.
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

/** A refusal with its RFC 6750 challenge; the error handler below turns it into the answer. */
class BearerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly challenge: string,
  ) {
    super(description);
  }
}

// Errors that say the token is bad (401). Anything else, such as the JWKS
// being unreachable, is the API's problem and answers 503, not "log in again".
const TOKEN_ERRORS = [
  jose.JWTClaimValidationFailed,
  jose.JWTExpired,
  jose.JWTInvalid,
  jose.JWSInvalid,
  jose.JWSSignatureVerificationFailed,
  jose.JOSEAlgNotAllowed,
  jose.JOSENotSupported,
  jose.JWKSNoMatchingKey,
  jose.JWKSMultipleMatchingKeys,
];

const missingToken = () =>
  // RFC 6750 §3.1: a request without credentials gets a bare challenge, no error code.
  new BearerError(
    401,
    'invalid_request',
    'Missing access token: send Authorization: Bearer <token>',
    'Bearer',
  );

const invalidToken = () =>
  new BearerError(
    401,
    'invalid_token',
    'The access token is invalid or expired',
    'Bearer error="invalid_token", error_description="The access token is invalid or expired"',
  );

/** The token of an `Authorization: Bearer` header (RFC 6750 §2.1). */
function bearerToken(header: string | undefined): string {
  const scheme = header?.match(/^(\S+)/)?.[1];
  if (!header || scheme?.toLowerCase() !== 'bearer') throw missingToken();
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!m) throw invalidToken();
  return m[1]!;
}

export async function buildOrdersApi(opts: OrdersApiOptions): Promise<FastifyInstance> {
  const base = opts.issuer.endsWith('/') ? opts.issuer : `${opts.issuer}/`;
  // Fetched on first use, cached, and re-fetched when a token names an unknown key (rotation).
  const jwks = createRemoteJWKSet(new URL(opts.jwksUrl ?? `${base}.well-known/jwks.json`));
  const now = opts.now ?? Date.now;

  async function verify(request: FastifyRequest): Promise<JWTPayload & { sub: string }> {
    const token = bearerToken(request.headers.authorization);
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: opts.issuer,
        audience: opts.audience,
        algorithms: ['RS256', 'PS256'],
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(now()),
      });
      return payload as JWTPayload & { sub: string };
    } catch (err) {
      if (TOKEN_ERRORS.some((E) => err instanceof E)) {
        request.log.info({ reason: (err as Error).message }, 'access token refused');
        throw invalidToken();
      }
      throw err;
    }
  }

  const app = Fastify({ logger: opts.logger ?? false });

  app.setErrorHandler((err, request, reply: FastifyReply) => {
    if (err instanceof BearerError) {
      return reply
        .code(err.status)
        .header('WWW-Authenticate', err.challenge)
        .send({ error: err.code, error_description: err.description });
    }
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
    if (!scopes.includes(REQUIRED_SCOPE)) {
      throw new BearerError(
        403,
        'insufficient_scope',
        `The access token lacks the scope ${REQUIRED_SCOPE}`,
        `Bearer error="insufficient_scope", scope="${REQUIRED_SCOPE}"`,
      );
    }
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
