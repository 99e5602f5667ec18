import { createHash } from 'node:crypto';
import { ALICE, API, SECRET } from '../helpers/app.js';

/**
 * A seeded generator of malformed requests across every endpoint. Request i
 * of seed s comes from its own PRNG (seeded with s and i), so one failing
 * request can be replayed alone: TESSERA_FUZZ_SEED=s, then look at #i.
 */

/** mulberry32: small, fast, deterministic; good enough to pick test cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of request `i`: a hash of the run's seed and the index. */
export function requestSeed(seed: number, i: number): number {
  return createHash('sha256').update(`${seed}:${i}`).digest().readUInt32LE(0);
}

/** Real tokens of the run, so that some requests get past the first checks. */
export interface FuzzTokens {
  access?: string;
  refresh?: string;
  id?: string;
  mfa?: string;
}

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH' | 'HEAD' | 'OPTIONS';
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  remoteAddress: string;
}

class Pick {
  constructor(readonly r: () => number) {}
  int(n: number) {
    return Math.floor(this.r() * n);
  }
  chance(p: number) {
    return this.r() < p;
  }
  one<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }
  b64url(n: number) {
    return this.bytes(n).toString('base64url');
  }
}

const GRANTS = [
  'password',
  'http://auth0.com/oauth/grant-type/password-realm',
  'refresh_token',
  'client_credentials',
  'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-oob',
  'http://auth0.com/oauth/grant-type/mfa-recovery-code',
  'authorization_code',
  'urn:ietf:params:oauth:grant-type:device_code',
  'PASSWORD',
  '',
];
const CLIENTS = ['acme-web', 'acme-basic', 'acme-spa', 'acme-nopw', 'mfa-app', 'nobody', 'ACME-WEB'];
const IPS = [
  '127.0.0.1',
  '203.0.113.9',
  '198.51.100.23',
  '2001:db8:1:2::1',
  '2001:0db8:0001:0002::0001',
  '::ffff:203.0.113.9',
  '::1',
  'fe80::1',
];

/** Parameters of each endpoint, with a plausible value each (the fuzzer then spoils some). */
const PARAMS: Record<string, Record<string, string>> = {
  token: {
    grant_type: 'password',
    client_id: 'acme-web',
    client_secret: SECRET,
    username: ALICE.email,
    password: ALICE.password,
    realm: 'employees',
    audience: API,
    scope: 'openid profile offline_access read:orders',
    refresh_token: 'r'.repeat(43),
    mfa_token: 'm'.repeat(40),
    otp: '123456',
    oob_code: 'o'.repeat(30),
    binding_code: '123456',
    recovery_code: 'ABCDEFGHIJKLMNOPQRSTUVWX',
  },
  revoke: { client_id: 'acme-web', client_secret: SECRET, token: 'r'.repeat(43) },
  introspect: {
    client_id: 'acme-web',
    client_secret: SECRET,
    token: 'x.y.z',
    token_type_hint: 'access_token',
  },
  associate: {
    client_id: 'acme-web',
    client_secret: SECRET,
    authenticator_types: 'otp',
    oob_channels: 'sms',
    phone_number: '+15555550100',
    email: 'a@acme.test',
  },
  challenge: {
    client_id: 'acme-web',
    client_secret: SECRET,
    mfa_token: 'm'.repeat(40),
    challenge_type: 'otp',
    authenticator_id: 'totp|dev_x',
  },
};

/** A spoiled value: wrong type, wrong encoding, NUL, huge, junk tokens … (JSON-able or raw form text). */
function junkValue(p: Pick): unknown {
  switch (p.int(22)) {
    case 0:
      return '';
    case 1:
      return 'a\u0000b';
    case 2:
      return '\ud800';
    case 3:
      return 'x'.repeat(p.one([256, 513, 5000, 40_000]));
    case 4:
      return p.int(1e9);
    case 5:
      return p.one([true, false, null]);
    case 6:
      return [p.b64url(4), p.b64url(4)];
    case 7:
      return { $gt: '' };
    case 8:
      return `${p.b64url(12)}.${p.b64url(40)}.${p.b64url(64)}`;
    case 9:
      return `eyJhbGciOiJub25lIn0.${Buffer.from('{"sub":"x","aud":"y"}').toString('base64url')}.`;
    case 10:
      return "' OR 1=1 --";
    case 11:
      return '%';
    case 12:
      return 'zoë@acme.test';
    case 13:
      return '😀'.repeat(p.int(50) + 1);
    case 14:
      return p.bytes(p.int(30) + 1).toString('latin1');
    case 15:
      return '__proto__';
    case 16:
      return ' ';
    case 17:
      return '\r\n';
    case 18:
      return [];
    case 19:
      return ['openid', 'profile'];
    case 20:
      return { nested: { deeper: ['\u0000'] } };
    default:
      return p.b64url(p.int(64) + 1);
  }
}

/** Percent-encoded; a lone surrogate cannot be, so it goes raw (as its UTF-16 code unit bytes would not). */
function uriEncode(v: string): Buffer {
  try {
    return Buffer.from(encodeURIComponent(v));
  } catch {
    return Buffer.from(v, 'latin1');
  }
}

/** Percent-encoding that may go wrong: raw bytes, broken escapes, invalid UTF-8. */
function formEncode(p: Pick, v: string): Buffer {
  switch (p.int(8)) {
    case 0:
      return Buffer.from(v, 'utf8'); // raw, unescaped
    case 1:
      return Buffer.concat([
        uriEncode(v),
        Buffer.from(p.one(['%C3%28', '%FF', '%00', '%E0%A4%A', '%zz', '%'])),
      ]);
    case 2:
      return Buffer.concat([uriEncode(v), p.bytes(p.int(4) + 1)]);
    default:
      return uriEncode(v);
  }
}

/** The parameters of a request: the plausible ones, some dropped, some spoiled, some extra. */
function params(
  p: Pick,
  base: Record<string, string>,
  tokens: FuzzTokens,
  focused: boolean,
): [string, unknown][] {
  const out: [string, unknown][] = [];
  const real = Object.values(tokens).filter((x): x is string => Boolean(x));
  const entries = Object.entries(base);
  if (focused) {
    // One thing wrong in an otherwise sound request: the deeper code paths.
    const spoil = p.int(entries.length + 1);
    const grantType = p.one(GRANTS.slice(0, 7));
    for (const [j, [k, v]] of entries.entries()) {
      const good = k === 'grant_type' ? grantType : k === 'mfa_token' && tokens.mfa ? tokens.mfa : v;
      if (j !== spoil)
        out.push([k, k === 'refresh_token' && tokens.refresh && p.chance(0.5) ? tokens.refresh : good]);
      else if (p.chance(0.5)) out.push([k, junkValue(p)]);
    }
    return out;
  }
  for (const [k, v] of entries) {
    if (p.chance(0.3)) continue;
    if ((k === 'refresh_token' || k === 'token' || k === 'mfa_token') && real.length && p.chance(0.5))
      out.push([k, p.one(real)]);
    else if (k === 'grant_type') out.push([k, p.chance(0.8) ? p.one(GRANTS) : junkValue(p)]);
    else if (k === 'client_id') out.push([k, p.chance(0.8) ? p.one(CLIENTS) : junkValue(p)]);
    else out.push([k, p.chance(0.7) ? v : junkValue(p)]);
  }
  if (p.chance(0.15)) out.push([p.one(['username', 'client_id', 'grant_type', 'scope', 'x']), junkValue(p)]);
  if (p.chance(0.1)) out.push([p.one(['a\u0000', '\ud800', '', '__proto__', 'constructor']), 'v']);
  return out;
}

function body(
  p: Pick,
  pairs: [string, unknown][],
  focused: boolean,
): { payload?: string | Buffer; contentType?: string } {
  if (focused) {
    if (p.chance(0.5))
      return { payload: JSON.stringify(Object.fromEntries(pairs)), contentType: 'application/json' };
    const form = pairs.map(([k, v]) =>
      Buffer.concat([
        uriEncode(k),
        Buffer.from('='),
        uriEncode(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')),
      ]),
    );
    return {
      payload: Buffer.concat(form.flatMap((b, i) => (i ? [Buffer.from('&'), b] : [b]))),
      contentType: 'application/x-www-form-urlencoded',
    };
  }
  const kind = p.int(10);
  if (kind < 5) {
    const parts = pairs.map(([k, v]) => {
      const value = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
      return Buffer.concat([formEncode(p, k), Buffer.from('='), formEncode(p, value)]);
    });
    const joined = Buffer.concat(parts.flatMap((b, i) => (i ? [Buffer.from('&'), b] : [b])));
    return {
      payload: joined,
      contentType: p.one([
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded;charset=UTF-8',
        'application/x-www-form-urlencoded; charset=latin1',
      ]),
    };
  }
  if (kind < 8) {
    const obj: Record<string, unknown> = {};
    for (const [k, v] of pairs) obj[k] = v;
    let text = JSON.stringify(obj);
    if (p.chance(0.1)) text = text.slice(0, p.int(text.length)); // truncated
    if (p.chance(0.05)) text = p.one(['[1,2]', '"s"', 'null', '12', '{"__proto__":{"x":1}}', '']);
    return {
      payload: p.chance(0.1) ? Buffer.concat([Buffer.from(text), p.bytes(3)]) : text,
      contentType: p.one(['application/json', 'application/json; charset=utf-8', 'application/JSON']),
    };
  }
  if (kind === 8)
    return { payload: 'x'.repeat(p.one([10, 70_000])), contentType: 'application/x-www-form-urlencoded' };
  return {
    payload: p.b64url(p.int(200)),
    contentType: p.one(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', '', 'garbage']),
  };
}

function authorization(p: Pick, tokens: FuzzTokens): string | undefined {
  const real = Object.values(tokens).filter((x): x is string => Boolean(x));
  if (real.length && p.chance(0.2)) return `Bearer ${p.one(real)}`;
  switch (p.int(10)) {
    case 0:
      return `Basic ${Buffer.from(`acme-basic:${SECRET}`).toString('base64')}`;
    case 1:
      return `Basic ${p.b64url(p.int(40))}`;
    case 2:
      return `Basic ${Buffer.from(p.bytes(20)).toString('base64')}`;
    case 3:
      return `Basic ${Buffer.from('acme-basic\u0000:x').toString('base64')}`;
    case 4:
      return `Basic ${Buffer.from('%zz:%FF').toString('base64')}`;
    case 5:
      return `Bearer ${p.b64url(12)}.${p.b64url(30)}.${p.b64url(30)}`;
    case 6:
      return `Bearer ${p.b64url(p.int(60) + 1)}`;
    case 7:
      return p.one(['Basic', 'Bearer', 'Basic !!!', 'Digest x', 'Bearer a b', 'Basic YQ==']);
    default:
      return undefined;
  }
}

const ENDPOINTS = [
  ['POST', '/oauth/token', 'token'],
  ['POST', '/oauth/token', 'token'],
  ['POST', '/oauth/token', 'token'],
  ['POST', '/oauth/revoke', 'revoke'],
  ['POST', '/oauth/introspect', 'introspect'],
  ['GET', '/userinfo', undefined],
  ['POST', '/userinfo', undefined],
  ['GET', '/mfa/authenticators', undefined],
  ['DELETE', '/mfa/authenticators/:id', undefined],
  ['POST', '/mfa/associate', 'associate'],
  ['POST', '/mfa/challenge', 'challenge'],
  ['GET', '/.well-known/openid-configuration', undefined],
  ['GET', '/.well-known/jwks.json', undefined],
  ['GET', '/unblock', undefined],
  ['GET', '/random', undefined],
] as const;

/** Request number `i` of the run seeded `seed`. */
export function fuzzRequest(seed: number, i: number, tokens: FuzzTokens = {}): FuzzRequest {
  const p = new Pick(prng(requestSeed(seed, i)));
  const [method0, path, paramsOf] = p.one(ENDPOINTS);
  let method: FuzzRequest['method'] = method0;
  if (p.chance(0.05)) method = p.one(['GET', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'DELETE']);
  let url: string = path;
  if (path === '/mfa/authenticators/:id')
    url = `/mfa/authenticators/${p.one(['totp%7Cdev_x', '%00', '%zz', 'a'.repeat(150), '%C3%28', encodeURIComponent('ë')])}`;
  else if (path === '/unblock')
    url = `/unblock${p.one(['', '?ticket=', `?ticket=${p.b64url(40)}`, '?ticket=%FF', '?ticket=a&ticket=b', '?ticket=%00'])}`;
  else if (path === '/random')
    url = p.one([
      '/',
      '/%zz',
      '/oauth/token%00',
      '/oauth//token',
      '/.well-known/',
      '/a?b=%',
      `/${'x'.repeat(3000)}`,
    ]);
  if (p.chance(0.05)) url += p.one(['?', '?a=%FF', '?a=1&a=2', '?grant_type=password', '#x']);
  const headers: Record<string, string> = {};
  const auth = authorization(p, tokens);
  if (auth) headers.authorization = auth;
  if (p.chance(0.2))
    headers['auth0-forwarded-for'] = p.one([...IPS, 'nope', '1.2.3.4, 5.6.7.8', '1.2.3.4\u0000', '']);
  if (p.chance(0.1)) headers['x-forwarded-for'] = p.one(['1.2.3.4', 'junk', '[::1]:80, 10.0.0.1']);
  if (p.chance(0.2))
    headers['user-agent'] = p.one([
      'fuzz/1.0',
      'a\u0000b',
      Buffer.from([0xc3, 0x28]).toString('latin1'),
      'x'.repeat(2000),
    ]);
  let payload: string | Buffer | undefined;
  if (paramsOf && method !== 'GET' && method !== 'HEAD') {
    const focused = p.chance(0.35);
    const b = body(p, params(p, PARAMS[paramsOf]!, tokens, focused), focused);
    payload = b.payload;
    if (b.contentType) headers['content-type'] = b.contentType;
  } else if (p.chance(0.1) && method !== 'GET' && method !== 'HEAD') {
    payload = p.b64url(20);
    headers['content-type'] = 'application/json';
  }
  return { method, url, headers, payload, remoteAddress: p.one(IPS) };
}

/** A request as a line a human can replay from. */
export function describeRequest(r: FuzzRequest): string {
  const body =
    r.payload === undefined ? '' : ` body(hex)=${Buffer.from(r.payload).toString('hex').slice(0, 400)}`;
  return `${r.method} ${r.url.slice(0, 200)} from ${r.remoteAddress} headers=${JSON.stringify(r.headers).slice(0, 400)}${body}`;
}
