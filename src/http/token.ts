import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../errors/index.js';
import { recordEvent } from '../events/log.js';
import type { RequestInfo } from '../login/context.js';
import { authenticateClient, type ClientAuthResult } from '../oauth/client-auth.js';
import { GRANTS } from '../oauth/grants/index.js';
import type { Grant } from '../oauth/grants/types.js';
import { Params } from '../oauth/params.js';
import type { TokenResponse } from '../tokens/tokens.js';
import { normalizeIp } from '../protection/ip.js';
import type { Runtime } from '../runtime.js';
import { resolveRequestIp } from './client-ip.js';
import { clientGoneOf } from './lifecycle.js';
import type { InvalidInput } from './params.js';

/** What the login pipeline learns about the HTTP request. */
export function requestInfo(request: FastifyRequest, reply: FastifyReply, params: Params): RequestInfo {
  return {
    ip: request.ip,
    clientIp: request.ip,
    userAgent: request.headers['user-agent'],
    hostname: request.hostname,
    body: params.withoutSecrets(),
    clientGone: clientGoneOf(request),
    // Auth0's rate-limit headers, from the budget that applies: the IP's failed logins.
    onRateLimit: (r) =>
      reply.headers({
        'X-RateLimit-Limit': String(r.limit),
        'X-RateLimit-Remaining': String(r.remaining),
        'X-RateLimit-Reset': String(Math.ceil(r.resetAt / 1000)),
      }),
  };
}

/**
 * When Fastify took the request in (performance.now(), ms): its route
 * handler starts the reply's clock before the onRequest hooks run.
 */
function arrivedAt(reply: FastifyReply): number {
  return performance.now() - reply.elapsedTime;
}

/** What the token endpoint's middlewares learn, each from the ones before it. */
export interface TokenContext {
  rt: Runtime;
  request: FastifyRequest;
  reply: FastifyReply;
  /** When Fastify took the request in (performance.now(), ms): admission control counts the time since. */
  arrivedAt: number;
  /** Every parameter sent (parseParams); rules and logs see these, secrets left out. */
  params?: Params;
  grant?: Grant;
  auth?: ClientAuthResult;
  /** `grant_type` and the grant's declared parameters only (stripGrantIrrelevantParams). */
  grantParams?: Params;
  response?: TokenResponse;
}

/** One named step of the token endpoint (oidc-provider's `lib/actions/token.js`). */
export interface TokenMiddleware {
  name: string;
  run(ctx: TokenContext): void | Promise<void>;
}

/** The parameters every grant keeps: the grant's own name (client credentials are read before). */
const ALWAYS_KEPT = ['grant_type'];

/** `grant_type` and a grant's declared parameters, made once per grant, not on every request. */
const KEPT = new WeakMap<Grant, ReadonlySet<string>>();
function keptFor(grant: Grant): ReadonlySet<string> {
  let kept = KEPT.get(grant);
  if (!kept) {
    kept = new Set([...ALWAYS_KEPT, ...grant.parameters]);
    KEPT.set(grant, kept);
  }
  return kept;
}

/**
 * POST /oauth/token, in this order: no caching, parse, check the grant type
 * is served, refuse the excess of password logins when overloaded,
 * authenticate the client, check the client may use the grant, strip the
 * parameters the grant does not declare, then hand over to the grant. An
 * error ends the chain: e.g. an unknown grant_type is refused before any
 * client authentication.
 */
export const TOKEN_CHAIN: readonly TokenMiddleware[] = [
  {
    name: 'noCache',
    run: ({ reply }) => {
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    },
  },
  {
    name: 'parseParams',
    run: (ctx) => {
      ctx.params = new Params(ctx.request.body);
    },
  },
  {
    name: 'supportedGrantTypeCheck',
    run: (ctx) => {
      const grantType = ctx.params!.required('grant_type');
      const grant = GRANTS.get(grantType);
      if (!grant) throw errors.unsupportedGrantType(grantType);
      ctx.grant = grant;
    },
  },
  {
    // Overloaded: the excess of password logins is refused before anything else is done for it.
    name: 'admissionPrecheck',
    run: ({ rt, grant, arrivedAt }) => {
      if (grant!.hashesPassword) rt.admission.precheck(arrivedAt);
    },
  },
  {
    name: 'authenticateClient',
    run: async (ctx) => {
      ctx.auth = await authenticateClient(ctx.rt, ctx.params!, ctx.request.headers.authorization);
    },
  },
  {
    name: 'allowedGrantTypeCheck',
    run: ({ auth, grant }) => {
      if (!auth!.client.grant_types.includes(grant!.grantType))
        throw errors.unauthorizedClient(grant!.grantType);
    },
  },
  {
    name: 'stripGrantIrrelevantParams',
    run: (ctx) => {
      ctx.grantParams = ctx.params!.pick(keptFor(ctx.grant!));
    },
  },
  {
    name: 'callTokenHandler',
    run: async (ctx) => {
      const { rt, request, reply, auth } = ctx;
      // Only now is it known whether the client may name the end user's IP.
      const ips = resolveRequestIp(rt.config, request, auth!);
      ctx.response = await ctx.grant!.handle({
        rt,
        client: auth!.client,
        params: ctx.grantParams!,
        request: { ...requestInfo(request, reply, ctx.params!), ...ips },
        arrivedAt: ctx.arrivedAt,
      });
    },
  },
];

/** The token endpoint as a Fastify plugin: `app.register(tokenRoutes, { rt })`. */
export const tokenRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (app, { rt }) => {
  app.post('/oauth/token', { config: { onInvalidInput: recordRefused } }, async (request, reply) => {
    const ctx: TokenContext = { rt, request, reply, arrivedAt: arrivedAt(reply) };
    for (const middleware of TOKEN_CHAIN) await middleware.run(ctx);
    return ctx.response;
  });

  /**
   * A token request refused for NUL or invalid UTF-8 is still an attempt:
   * recorded as the grant's failure (`f` when the grant is unknown), with
   * what it typed made safe by the audit writer.
   */
  async function recordRefused(request: FastifyRequest, bad: InvalidInput): Promise<void> {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : null);
    const grantType = text('grant_type');
    await recordEvent(rt, {
      type: (grantType !== null && GRANTS.get(grantType)?.failureEvent) || 'f',
      description: bad.error.message,
      client_id: text('client_id'),
      user_name: text('username'),
      ip: normalizeIp(request.ip) ?? request.ip,
      user_agent: request.headers['user-agent'] ?? null,
      details: { grant_type: grantType, reason: 'invalid_input', [bad.kind]: bad.name },
    });
  }
};
