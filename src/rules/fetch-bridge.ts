import { ALLOWED_HOSTS_KEY, type RulesLimits } from './types.js';

/** What one login's scripts may fetch, and until when. */
export interface FetchPolicy {
  allowedHosts: ReadonlySet<string>;
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

/**
 * The hosts the tenant lets scripts reach: `configuration.TESSERA_ALLOWED_HOSTS`
 * (rulesConfigs), comma-separated hostnames, compared case-insensitively
 * and without ports. Empty or absent: no host at all.
 */
export function allowedHosts(configuration: Record<string, string>): Set<string> {
  const raw = configuration[ALLOWED_HOSTS_KEY] ?? '';
  return new Set(
    raw
      .split(',')
      .map((h) => normalizeHost(h.trim()))
      .filter(Boolean),
  );
}

function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

/**
 * The host side of the sandbox's `fetch`: refuses anything but http(s) to an
 * allowed host, never follows redirects (a redirect could leave the
 * allowlist: the script gets the 3xx answer), stops after the timeout and
 * past the size cap. Arguments arrive as copies from the isolate and are
 * checked as untrusted; errors become exceptions inside the sandbox.
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
  const host = normalizeHost(target.hostname);
  if (!policy.allowedHosts.has(host)) {
    throw new Error(
      `fetch refused: host "${host}" is not allowed (list it in the rules configuration key ${ALLOWED_HOSTS_KEY})`,
    );
  }
  const parsed: unknown = JSON.parse(initJson);
  if (!parsed || typeof parsed !== 'object') throw new TypeError('fetch: bad options');
  const init = readInit(parsed as Record<string, unknown>);
  const timeoutMs = Math.min(policy.limits.fetchTimeoutMs, policy.deadline - performance.now());
  if (timeoutMs <= 0) throw new Error('fetch refused: the time limit of the login is spent');
  const signal = AbortSignal.timeout(Math.ceil(timeoutMs));
  try {
    const res = await fetch(target, { ...init, redirect: 'manual', signal });
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
    if (signal.aborted) throw new Error(`fetch to ${host} timed out after ${Math.ceil(timeoutMs)} ms`);
    const cause = err instanceof Error ? err.message : String(err);
    throw new Error(`fetch to ${host} failed: ${cause}`);
  }
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
    for (const [k, v] of Object.entries(o.headers)) headers[k] = String(v);
  }
  if (o.body !== undefined && o.body !== null && typeof o.body !== 'string') {
    throw new TypeError('fetch: body must be a string (use JSON.stringify)');
  }
  return { method, headers, ...(typeof o.body === 'string' ? { body: o.body } : {}) };
}

async function readCapped(res: Response, max: number): Promise<string> {
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
