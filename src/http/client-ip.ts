import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import type { ClientAuthResult } from '../oauth/client-auth.js';
import { errors } from '../errors/index.js';
import { IpList, normalizeIp } from '../protection/ip.js';

/** The client's header carrying the end user's IP (Auth0's name). */
export const FORWARDED_FOR_HEADER = 'auth0-forwarded-for';

const proxyLists = new WeakMap<Config, IpList | null>();

function trustedProxies(config: Config): IpList | null {
  let list = proxyLists.get(config);
  if (list === undefined) {
    list = config.trustProxy.length ? new IpList(config.trustProxy) : null;
    proxyLists.set(config, list);
  }
  return list;
}

/** One X-Forwarded-For entry: an address, maybe with a port (`1.2.3.4:80`, `[::1]:80`). */
function forwardedEntry(entry: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return normalizeIp(bracketed[1]!);
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return normalizeIp(v4port ? v4port[1]! : entry);
}

/**
 * The client behind trusted proxies: X-Forwarded-For read from the right
 * (each proxy appends the address it saw), skipping trusted proxies; the
 * first other address is the client. Entries further left were written by
 * the client itself and are never believed.
 */
function throughProxies(header: string | string[] | undefined, proxies: IpList): string | undefined {
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  let ip: string | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    ip = forwardedEntry(entries[i]!);
    if (!ip) throw errors.malformedHeader('X-Forwarded-For', 'expected a list of IP addresses');
    if (!proxies.has(ip)) return ip;
  }
  return ip; // all proxies: the leftmost one
}

/**
 * The IPs of a token request. `clientIp`: the connecting address, or the
 * client behind the trusted proxies of TESSERA_TRUST_PROXY. `ip`, the end
 * user's: `auth0-forwarded-for` when the client authenticated (not a public
 * client) and has `is_token_endpoint_ip_header_trusted`, else `clientIp`.
 * A trusted header that is not one IP address is a 400, never a fallback.
 */
export function resolveRequestIp(
  config: Config,
  request: FastifyRequest,
  auth: ClientAuthResult,
): { ip: string; clientIp: string } {
  // The connecting address (Fastify's own proxy trust is off).
  let clientIp = normalizeIp(request.ip) ?? request.ip;
  const proxies = trustedProxies(config);
  if (proxies?.has(clientIp))
    clientIp = throughProxies(request.headers['x-forwarded-for'], proxies) ?? clientIp;
  let ip = clientIp;
  if (auth.method !== 'none' && auth.client.is_token_endpoint_ip_header_trusted === true) {
    const header = request.headers[FORWARDED_FOR_HEADER];
    if (header !== undefined) {
      const forwarded = typeof header === 'string' ? normalizeIp(header) : undefined;
      if (!forwarded) throw errors.malformedHeader(FORWARDED_FOR_HEADER, 'must be one IP address');
      ip = forwarded;
    }
  }
  return { ip, clientIp };
}
