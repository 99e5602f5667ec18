// First: sizes libuv's thread pool before anything uses it (see the module).
import { THREADPOOL_SIZE } from './threadpool.js';

import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { type JwtHeader, signCompactJwt, signJwtWithJose } from '../src/keys/jwt-sign.js';
import { hashClientSecret } from '../src/tokens/client-secret.js';
import { parseScope } from '../src/tokens/scopes.js';
import type { Runtime } from '../src/runtime.js';
import { type Client, upsertClient } from '../src/store/repos/clients.js';
import { findConnectionById, upsertConnection } from '../src/store/repos/connections.js';
import { ALICE, API, SECRET } from '../test/helpers/app.js';
import {
  CONCURRENCY,
  DATABASE,
  type GrantLoad,
  alternateRounds,
  benchTiming,
  median,
  opsSlice,
  postForm,
  remoteGrantSlice,
  report,
  run,
  withTessera,
} from './lib.js';

/**
 * How close does the refresh grant get to the cost of the signature it
 * hands out? A refresh does no password hashing: its heaviest single piece
 * of work is the RS256 signature of the new access token; the rest is HTTP,
 * client auth, SQLite (token lookup, user, connection, the token's update or
 * rotation, the audit event). With 16 in flight, refresh req/s divided by
 * bare signatures/s (same key, same algorithm) says how much the rest costs.
 * Target (issue 17): >= 0.8 on SQLite, >= 0.6 on PostgreSQL, rotating.
 */

const TARGET_RATIO = DATABASE === 'postgres' ? 0.6 : 0.8;
const ALG = 'RS256';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    rotating: { type: 'boolean' },
    scope: { type: 'string' },
  },
});
const timing = benchTiming(args.duration);
const ROTATING = args.rotating ?? ['1', 'true'].includes(process.env.BENCH_ROTATING ?? '');
// By default no `openid`: one access token, one signature per refresh, like
// the baseline. `--scope "openid offline_access read:orders"` adds an ID
// token, a second signature.
const SCOPE = args.scope ?? process.env.BENCH_SCOPE ?? 'offline_access read:orders';
const SCOPES = parseScope(SCOPE);
if (!SCOPES.includes('offline_access')) {
  console.error(
    `--scope / BENCH_SCOPE must include offline_access (no refresh token without it), got "${SCOPE}"`,
  );
  process.exit(2);
}
const SIGNATURES = SCOPES.includes('openid') ? 2 : 1;

/** Auth0's default lifetimes, spelled out; the idle expiry slides on every use. */
const LIFETIMES = { expiration_type: 'expiring', token_lifetime: 2_592_000, idle_token_lifetime: 1_296_000 };
const CLIENTS: Client[] = [
  {
    client_id: 'bench-static',
    name: 'Bench (non-rotating refresh tokens)',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['password', 'refresh_token'],
    refresh_token: { rotation_type: 'non-rotating', ...LIFETIMES },
  },
  {
    client_id: 'bench-rotating',
    name: 'Bench (rotating refresh tokens)',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['password', 'refresh_token'],
    refresh_token: { rotation_type: 'rotating', leeway: 0, ...LIFETIMES },
  },
];
const CLIENT_ID = ROTATING ? 'bench-rotating' : 'bench-static';

/** The two refresh-token clients, enabled on the default connection. */
async function seedClients(rt: Runtime): Promise<void> {
  const db = rt.store.db;
  const now = rt.now();
  for (const c of CLIENTS) await upsertClient(db, c, hashClientSecret(SECRET), now);
  const conn = await findConnectionById(db, 'con_default');
  if (!conn) throw new Error('the test tenant has no con_default connection');
  const enabled = [...conn.enabled_clients, ...CLIENTS.map((c) => c.client_id)];
  await upsertConnection(db, { ...conn, enabled_clients: enabled }, now);
}

const refreshForm = (token: string) =>
  new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: CLIENT_ID,
    client_secret: SECRET,
    refresh_token: token,
  }).toString();

/** A password login for a new refresh token family. */
async function login(url: string): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'password',
    username: ALICE.email,
    password: ALICE.password,
    client_id: CLIENT_ID,
    client_secret: SECRET,
    audience: API,
    scope: SCOPE,
  }).toString();
  const { status, body } = await postForm(url, form);
  if (status !== 200 || typeof body.refresh_token !== 'string') {
    throw new Error(`the password login gives no refresh token: ${status} ${JSON.stringify(body)}`);
  }
  return body.refresh_token;
}

/**
 * One refresh outside the load, so a broken setup fails with its answer
 * rather than a count; checks the token is signed like the baseline, and
 * that the client rotates (or not) as intended. Answers the token to use next.
 */
async function checkOneRefresh(url: string, rt: Runtime, token: string): Promise<string> {
  const { status, body } = await postForm(url, refreshForm(token));
  if (status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`the refresh grant does not work: ${status} ${JSON.stringify(body)}`);
  }
  const header = decodeProtectedHeader(body.access_token);
  const key = await rt.keys.current();
  if (header.alg !== ALG || header.kid !== key.kid) {
    throw new Error(`the access token is signed ${header.alg} by ${header.kid}, not ${ALG} by ${key.kid}`);
  }
  if (ROTATING !== (typeof body.refresh_token === 'string')) {
    throw new Error(`client ${CLIENT_ID} ${ROTATING ? 'did not rotate' : 'rotated'} its refresh token`);
  }
  return body.refresh_token ?? token;
}

/**
 * Each of the CONCURRENCY connections presents its own token (`tokens[i]`,
 * one family per connection). Non-rotating: the same token every time.
 * Rotating: each answer's refresh_token is the connection's next token, so
 * the connection chains its family; `tokens` keeps the chain's heads across
 * runs (the load process hands them back after each run).
 */
function refreshLoad(url: string, tokens: string[]): GrantLoad {
  if (!ROTATING) return { url, forms: tokens.map(refreshForm) };
  return {
    url,
    forms: [],
    rotate: { fields: { grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: SECRET }, tokens },
  };
}

/** What an access token of the bench's refresh carries, so the baseline signs the same size. */
function accessClaims(rt: Runtime): Record<string, unknown> {
  const iat = Math.floor(rt.now() / 1000);
  return {
    iss: rt.config.issuer,
    sub: ALICE.id,
    aud: API,
    iat,
    exp: iat + 7200,
    scope: SCOPE,
    gty: ['refresh_token', 'password'],
    azp: CLIENT_ID,
  };
}

type Sign = (header: JwtHeader, claims: Record<string, unknown>, key: KeyObject) => Promise<string>;

/**
 * jose (WebCrypto) against node:crypto with the cached KeyObject (what the
 * server signs with, keys/jwt-sign.ts), alternating 1 s runs at CONCURRENCY
 * in flight. Checks both sign the same bytes and that jose verifies them.
 * The faster is the baseline: the refresh is never compared with a slower
 * signature than the best one this machine makes.
 */
async function fasterSigner(rt: Runtime): Promise<{ name: string; sign: Sign }> {
  const key = await rt.keys.current();
  const header: JwtHeader = { alg: ALG, typ: 'JWT', kid: key.kid };
  const claims = accessClaims(rt);
  const [a, b] = [
    await signJwtWithJose(header, claims, key.privateKey),
    await signCompactJwt(header, claims, key.privateKey),
  ];
  if (a !== b) throw new Error('node:crypto and jose sign different bytes');
  await jwtVerify(b, key.publicKey, { issuer: rt.config.issuer });
  const signers: { name: string; sign: Sign }[] = [
    { name: 'jose WebCrypto', sign: signJwtWithJose },
    { name: 'node:crypto KeyObject', sign: signCompactJwt },
  ];
  const rates = signers.map(() => [] as number[]);
  for (let round = 0; round < 3; round++) {
    for (const [i, s] of signers.entries()) {
      const slice = await opsSlice(1, () => s.sign(header, accessClaims(rt), key.privateKey));
      rates[i]!.push(slice.rate);
    }
  }
  const medians = rates.map(median);
  console.log(
    `  signing, ${CONCURRENCY} in flight: ${signers.map((s, i) => `${s.name} ${medians[i]!.toFixed(0)}/s (${rates[i]!.map((r) => r.toFixed(0)).join(', ')})`).join('; ')}`,
  );
  return signers[medians[1]! >= medians[0]! ? 1 : 0]!;
}

run(() =>
  withTessera(seedClients, async (tessera) => {
    const { rt, url } = tessera;
    // One family per connection, from as many password logins, one at a
    // time: attack protection counts a user's logins in flight, and refuses
    // more than its limit (10 by default) at once.
    const tokens: string[] = [];
    for (let i = 0; i < CONCURRENCY; i++) tokens.push(await login(url));
    tokens[0] = await checkOneRefresh(url, rt, tokens[0]!);
    const load = refreshLoad(url, tokens);

    console.log(
      `refresh-grant bench: ${availableParallelism()} cores, UV_THREADPOOL_SIZE=${THREADPOOL_SIZE}, ` +
        `${CONCURRENCY} in flight, ${timing.duration} s of each, client ${CLIENT_ID} ` +
        `(${ROTATING ? 'rotating' : 'non-rotating'}), scope="${SCOPE}" (${SIGNATURES} signature${SIGNATURES > 1 ? 's' : ''} ` +
        `per refresh), ${DATABASE === 'postgres' ? 'PostgreSQL' : 'SQLite (WAL)'} in ${tessera.dir}`,
    );
    const signer = await fasterSigner(rt);
    const rounds = await alternateRounds({
      timing,
      // Bare signing: the runtime's current key, the same algorithm and
      // header as signJwt, claims the size of the refresh's access token.
      baseline: async (seconds) => {
        const key = await rt.keys.current();
        const header: JwtHeader = { alg: ALG, typ: 'JWT', kid: key.kid };
        return opsSlice(seconds, () => signer.sign(header, accessClaims(rt), key.privateKey));
      },
      grant: (amount) => remoteGrantSlice(load, amount),
      timedGrantWarmup: true,
    });
    report({
      timing,
      rounds,
      baseline: {
        label: `${ALG} sign (${signer.name})`,
        unit: 'signs/s',
        series: 'signing runs',
        rateName: 'signs_per_s',
      },
      grant: {
        label: `refresh grant, ${ROTATING ? 'rotating' : 'non-rotating'}`,
        unit: 'req/s',
        series: 'refresh rounds',
        rateName: 'refresh_rps',
        noun: 'refresh',
        op: 'refresh',
        plural: 'refreshes',
        latency: 'measured',
      },
      target: TARGET_RATIO,
    });
  }),
);
