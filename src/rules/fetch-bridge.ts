import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Agent, type Response as UndiciResponse, fetch as undiciFetch } from 'undici';
import { addressKey, classifyAddress } from './address-check.js';
import { ALLOWED_HOSTS_KEY, type RulesLimits } from './types.js';

/** The hosts scripts may reach: a hostname, or an IP address's key (see addressKey), to its ports. */
export type AllowedHosts = ReadonlyMap<string, ReadonlySet<number>>;

/** What one login's scripts may fetch, and until when. */
export interface FetchPolicy {
  allowedHosts: AllowedHosts;
  /** performance.now() after which the login's budget is spent. */
  deadline: number;
  limits: RulesLimits;
}

/** The answer handed to the sandbox as JSON; the prelude adds text() and json(). */
export interface BridgedResponse {
  status: number;
  ok: boolean;
  statusText: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const DEFAULT_PORTS: readonly number[] = [80, 443];

/**
 * The hosts the tenant lets scripts reach: `configuration.TESSERA_ALLOWED_HOSTS`
 * (rulesConfigs), comma-separated entries `host` (ports 80 and 443) or
 * `host:port` (that port), where a host is a name (compared
 * case-insensitively) or an IP address (`10.0.0.7`, `fd00::7`, `[fd00::7]:8080`).
 * Several entries for one host add up. Malformed entries, and IPv4 addresses
 * in other spellings than dotted decimal (`2130706433`, `0x7f.1`), allow
 * nothing. Empty or absent: no host at all.
 */
export function allowedHosts(configuration: Record<string, string>): Map<string, Set<number>> {
  const hosts = new Map<string, Set<number>>();
  for (const raw of (configuration[ALLOWED_HOSTS_KEY] ?? '').split(',')) {
    const entry = parseEntry(raw.trim());
    if (!entry) continue;
    const ports = hosts.get(entry.host) ?? new Set<number>();
    hosts.set(entry.host, ports);
    for (const port of entry.port === undefined ? DEFAULT_PORTS : [entry.port]) ports.add(port);
  }
  return hosts;
}

function parseEntry(entry: string): { host: string; port?: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  const colons = entry.split(':').length - 1;
  const [, name, port] =
    bracketed ?? (colons > 1 ? [entry, entry] : /^([^:]+)(?::(\d{1,5}))?$/.exec(entry)) ?? [];
  if (!name) return undefined;
  const at = port === undefined ? {} : { port: Number(port) };
  if (at.port !== undefined && !(at.port >= 1 && at.port <= 65535)) return undefined;
  if (isIP(name)) {
    const key = addressKey(name);
    return key ? { host: key, ...at } : undefined;
  }
  if (bracketed || colons > 1 || /[\s/\\?#@%[\]]/.test(name)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${name}/`).hostname;
  } catch {
    return undefined;
  }
  // The URL parser reads 2130706433 or 0x7f.1 as 127.0.0.1: an address must be written plainly.
  return isIP(host) ? undefined : { host, ...at };
}

/** A refusal of the policy (not a network failure): its message goes to the script as it is. */
class FetchRefused extends Error {}

/**
 * The host side of the sandbox's `fetch`. Arguments arrive as copies from
 * the isolate and are checked as untrusted; errors become exceptions inside
 * the sandbox. In order:
 * - only http(s), to a host of the allowlist, on a port the allowlist gives
 *   that host (80 and 443 unless an entry names the port);
 * - the name is resolved once (policy.limits.fetchLookup) and every address
 *   is checked: a non-public one (loopback, private, link-local, …, see
 *   address-check.ts) only when the allowlist names that address with that
 *   port, so an allowed name cannot lead into the internal network;
 * - the connection goes to the checked addresses only: an undici Agent,
 *   made for this one request, whose `connect.lookup` answers them and never
 *   asks DNS again, so a name cannot rebind between check and connect. One
 *   Agent per request also means no pooled connection outlives the policy
 *   it was checked under (the price: no keep-alive between fetches);
 * - redirects are not followed: the script gets the 3xx answer, and a fetch
 *   of its Location goes through all the checks above again;
 * - all of it, name resolution and body included, stops at the fetch
 *   timeout (or what is left of the login's budget), and the body past
 *   `fetchMaxBytes` (counted after decompression).
 */
export async function bridgedFetch(url: unknown, initJson: unknown, policy: FetchPolicy): Promise<string> {
  if (typeof url !== 'string' || typeof initJson !== 'string') throw new Error('fetch: bad arguments');
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new TypeError(`fetch refused: "${url.slice(0, 200)}" is not an absolute URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new Error(`fetch refused: only http and https URLs are allowed, not ${target.protocol}`);
  }
  const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const host = isIP(hostname) ? addressKey(hostname)! : hostname;
  const port = target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80;
  const ports = policy.allowedHosts.get(host);
  if (!ports) {
    throw new Error(
      `fetch refused: host "${host}" is not allowed (list it in the rules configuration key ${ALLOWED_HOSTS_KEY})`,
    );
  }
  if (!ports.has(port)) {
    throw new Error(
      `fetch refused: port ${port} of "${host}" is not allowed (the allowlist gives it ${[...ports].join(', ')}; list ${withPort(host, port)} to allow it)`,
    );
  }
  const parsed: unknown = JSON.parse(initJson);
  if (!parsed || typeof parsed !== 'object') throw new TypeError('fetch: bad options');
  const init = readInit(parsed as Record<string, unknown>);
  const timeoutMs = Math.min(policy.limits.fetchTimeoutMs, policy.deadline - performance.now());
  if (timeoutMs <= 0) throw new Error('fetch refused: the time limit of the login is spent');
  const signal = AbortSignal.timeout(Math.ceil(timeoutMs));
  let agent: Agent | undefined;
  try {
    const addresses = await checkedAddresses(hostname, port, policy, signal);
    agent = new Agent({ connect: { lookup: pinnedLookup(hostname, addresses) } });
    const res = await undiciFetch(target, { ...init, redirect: 'manual', signal, dispatcher: agent });
    const body = await readCapped(res, policy.limits.fetchMaxBytes);
    const answer: BridgedResponse = {
      status: res.status,
      ok: res.ok,
      statusText: res.statusText,
      url: target.href,
      headers: Object.fromEntries(res.headers),
      body,
    };
    return JSON.stringify(answer);
  } catch (err) {
    if (err instanceof FetchRefused) throw new Error(err.message);
    if (signal.aborted) throw new Error(`fetch to ${host} timed out after ${Math.ceil(timeoutMs)} ms`);
    throw new Error(`fetch to ${host} failed: ${describeFailure(err)}`);
  } finally {
    agent?.destroy().catch(() => {});
  }
}

interface Checked {
  address: string;
  family: 4 | 6;
}

/** The addresses of `hostname` that the policy lets a script connect to on `port`; a FetchRefused when none. */
async function checkedAddresses(
  hostname: string,
  port: number,
  policy: FetchPolicy,
  signal: AbortSignal,
): Promise<Checked[]> {
  const literal = isIP(hostname) !== 0;
  const answers = literal ? [hostname] : await resolve(hostname, policy, signal);
  if (answers.length === 0) throw new Error(`${hostname} has no address`);
  const checked: Checked[] = [];
  const refused: string[] = [];
  /** The first refused address that naming it in the allowlist would allow. */
  let nameable: string | undefined;
  for (const answer of answers) {
    const c = classifyAddress(answer);
    const named = c.never ? undefined : policy.allowedHosts.get(addressKey(c.address)!);
    if (!c.special || named?.has(port)) {
      checked.push({ address: c.address, family: isIP(c.address) === 4 ? 4 : 6 });
      continue;
    }
    if (!c.never) nameable ??= addressKey(c.address);
    const only =
      named && `, named in the allowlist for port${named.size > 1 ? 's' : ''} ${[...named].join(', ')} only`;
    const detail = c.never ? ', never a destination' : (only ?? '');
    refused.push(`${c.address} (${c.special}${detail})`);
  }
  if (checked.length > 0) return checked;
  const what = literal ? refused.join(', ') : `${hostname} resolves to ${refused.join(', ')}`;
  if (!nameable) throw new FetchRefused(`fetch refused: ${what}`);
  const hint = DEFAULT_PORTS.includes(port) ? '' : ` with its port (e.g. ${withPort(nameable, port)})`;
  throw new FetchRefused(`fetch refused: ${what}; name the address in the allowlist${hint} to allow it`);
}

/** The name's addresses from the policy's resolver, within the fetch's time. */
async function resolve(hostname: string, policy: FetchPolicy, signal: AbortSignal): Promise<string[]> {
  const answers = await new Promise<readonly { address: string }[]>((done, fail) => {
    const abort = () => fail(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    policy.limits
      .fetchLookup(hostname)
      .then(done, fail)
      .finally(() => signal.removeEventListener('abort', abort));
  });
  return answers.map((a) => String(a.address));
}

/**
 * The `lookup` the request's socket uses: the checked addresses, for the
 * checked name only; DNS is not asked again.
 */
function pinnedLookup(hostname: string, addresses: readonly Checked[]): LookupFunction {
  return (name, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family || 0;
    const usable = addresses.filter((a) => family === 0 || a.family === family);
    const first = usable[0];
    if (name.toLowerCase() !== hostname || !first) {
      const err: NodeJS.ErrnoException = new Error(`no checked address of ${name}`);
      err.code = 'ENOTFOUND';
      callback(err, '');
    } else if (options.all) {
      callback(null, usable);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function withPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** Why a request failed, with the cause undici wraps in "fetch failed". */
function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the name (${code})`;
  return cause && err.message === 'fetch failed' ? `fetch failed (${cause})` : err.message;
}

function readInit(o: Record<string, unknown>): {
  method: string;
  headers: Record<string, string>;
  body?: string;
} {
  const method = o.method === undefined ? 'GET' : String(o.method).toUpperCase();
  if (!/^[A-Z]{1,16}$/.test(method)) throw new Error('fetch: bad method');
  const headers: Record<string, string> = {};
  if (o.headers !== undefined && o.headers !== null) {
    if (typeof o.headers !== 'object' || Array.isArray(o.headers)) {
      throw new TypeError('fetch: headers must be a plain object');
    }
    for (const [k, v] of Object.entries(o.headers)) {
      // The Host header would pick another virtual host (and TLS name) on the checked address.
      if (k.toLowerCase() === 'host') throw new TypeError('fetch: the host header comes from the URL');
      headers[k] = String(v);
    }
  }
  if (o.body !== undefined && o.body !== null && typeof o.body !== 'string') {
    throw new TypeError('fetch: body must be a string (use JSON.stringify)');
  }
  return { method, headers, ...(typeof o.body === 'string' ? { body: o.body } : {}) };
}

async function readCapped(res: UndiciResponse, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > max) {
    await res.body?.cancel();
    throw new Error(`the response is larger than ${max} bytes`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > max) throw new Error(`the response is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
