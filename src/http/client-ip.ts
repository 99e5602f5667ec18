import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import proxyAddr from 'proxy-addr';
import type { Config } from '../config/config.js';
import type { ClientAuthResult } from '../oauth/client-auth.js';
import { errors } from '../errors/index.js';
import { normalizeIp } from '../protection/ip.js';

/** The client's header carrying the end user's IP (Auth0's name). */
export const FORWARDED_FOR_HEADER = 'auth0-forwarded-for';

type Trust = (address: string, hop: number) => boolean;

const proxyTrust = new WeakMap<Config, Trust | null>();

/** TESSERA_TRUST_PROXY compiled by proxy-addr (what Fastify's trustProxy uses); null: no proxy. */
function trustedProxies(config: Config): Trust | null {
  let trust = proxyTrust.get(config);
  if (trust === undefined) {
    trust = config.trustProxy.length ? proxyAddr.compile([...config.trustProxy]) : null;
    proxyTrust.set(config, trust);
  }
  return trust;
}

/** One X-Forwarded-For entry: an address, maybe with a port (`1.2.3.4:80`, `[::1]:80`). */
function forwardedEntry(value: string): string | undefined {
  const entry = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return normalizeIp(bracketed[1]!);
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return normalizeIp(v4port ? v4port[1]! : entry);
}

/**
 * The client behind trusted proxies (proxy-addr): X-Forwarded-For read from
 * the right (each proxy appends the address it saw), skipping trusted
 * proxies; the first other address is the client, and when all are proxies
 * the leftmost. Entries further left were written by the client itself and
 * are never believed. An entry that is not an address is never a proxy: met
 * before the client, it is a 400.
 */
function throughProxies(clientIp: string, header: string | string[] | undefined, trust: Trust): string {
  const forwarded = Array.isArray(header) ? header.join(',') : (header ?? '');
  const req = { socket: { remoteAddress: clientIp }, headers: { 'x-forwarded-for': forwarded } };
  const entry = proxyAddr(req as unknown as IncomingMessage, (address, hop) => {
    const ip = hop === 0 ? clientIp : forwardedEntry(address);
    return ip !== undefined && trust(ip, hop);
  });
  if (entry === clientIp) return clientIp;
  const ip = forwardedEntry(entry);
  if (!ip) throw errors.malformedHeader('X-Forwarded-For', 'expected a list of IP addresses');
  return ip;
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
  const trust = trustedProxies(config);
  if (trust) clientIp = throughProxies(clientIp, request.headers['x-forwarded-for'], trust);
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
