import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordEvent } from '../events/log.js';
import type { RequestInfo } from '../login/context.js';
import { authenticateClient } from '../oauth/client-auth.js';
import { errors } from '../errors/index.js';
import { GRANTS } from '../oauth/grants/index.js';
import { normalizeIp } from '../protection/ip.js';
import type { Runtime } from '../runtime.js';
import { resolveRequestIp } from './client-ip.js';
import { type InvalidInput, Params } from './params.js';

/** What the login pipeline learns about the HTTP request. */
export function requestInfo(request: FastifyRequest, reply: FastifyReply, params: Params): RequestInfo {
  return {
    ip: request.ip,
    clientIp: request.ip,
    userAgent: request.headers['user-agent'],
    hostname: request.hostname,
    body: params.withoutSecrets(),
    // Auth0's rate-limit headers, from the budget that applies: the IP's failed logins.
    onRateLimit: (r) =>
      reply.headers({
        'X-RateLimit-Limit': String(r.limit),
        'X-RateLimit-Remaining': String(r.remaining),
        'X-RateLimit-Reset': String(Math.ceil(r.resetAt / 1000)),
      }),
  };
}

/** The grants that check a password (admission control: identity/admission.ts). */
const HASHING_GRANTS = new Set(['password', 'http://auth0.com/oauth/grant-type/password-realm']);

/**
 * POST /oauth/token: parse, pick the grant, refuse the excess of password
 * logins when overloaded, authenticate the client, check the client may use
 * the grant, then hand over to the grant.
 */
export function tokenRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post('/oauth/token', { config: { onInvalidInput: recordRefused } }, async (request, reply) => {
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    const params = new Params(request.body);
    const grantType = params.required('grant_type');
    const grant = GRANTS.get(grantType);
    if (!grant) throw errors.unsupportedGrantType(grantType);
    // Overloaded: the excess of password logins is refused before anything else is done for it.
    if (HASHING_GRANTS.has(grantType)) rt.admission.precheck();
    const auth = await authenticateClient(rt, params, request.headers.authorization);
    const { client } = auth;
    if (!client.grant_types.includes(grantType)) throw errors.unauthorizedClient(grantType);
    // Only now is it known whether the client may name the end user's IP.
    const ips = resolveRequestIp(rt.config, request, auth);
    return grant.handle({ rt, client, params, request: { ...requestInfo(request, reply, params), ...ips } });
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
}
