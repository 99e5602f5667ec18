import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { resolveRequestIp } from './client-ip.js';

/**
 * The end user's IP and user agent for requests without client
 * authentication (sign-up, reset, the pages): the connecting address, or the
 * client behind TESSERA_TRUST_PROXY's proxies; `auth0-forwarded-for` is not
 * believed here.
 */
export function requestInfo(rt: Runtime, request: FastifyRequest): { ip: string; userAgent?: string } {
  const { ip } = resolveRequestIp(rt.config, request, {
    method: 'none',
    client: { client_id: '', name: '', token_endpoint_auth_method: 'none', grant_types: [] },
  });
  const ua = request.headers['user-agent'];
  return { ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : undefined };
}
