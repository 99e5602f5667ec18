import { randomBytes } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/config.js';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import type { AttackProtectionSetting } from '../../src/protection/policy.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { buildServer } from '../../src/server.js';
import type { Store } from '../../src/store/db.js';
import { listEvents } from '../../src/store/repos/events.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { findConnectionById, upsertConnection } from '../../src/store/repos/connections.js';
import { getSetting, putSetting } from '../../src/store/repos/settings.js';
import { ALICE, ISSUER, SECRET, TestClock, addUser, seedTenant, silentLogger } from '../helpers/app.js';
import { type StoreKind, storeKinds } from '../helpers/stores.js';

export const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ADMIN = 'security@acme.test';
export const BACKEND = 'acme-backend';
export const UNTRUSTED = 'acme-web';

export type CounterKind = 'memory' | 'redis';

/**
 * Every combination the suites run against: counters in memory and in Redis
 * (unless TESSERA_TEST_REDIS=off), SQLite and PostgreSQL.
 */
export const matrix: { counters: CounterKind; store: StoreKind; name: string }[] = (
  process.env.TESSERA_TEST_REDIS === 'off' ? (['memory'] as const) : (['memory', 'redis'] as const)
).flatMap((counters) => storeKinds.map((store) => ({ counters, store, name: `${counters}, ${store.name}` })));

/** A Tessera on a given store, which a test may stop and start again (a restart). */
export interface Node {
  app: FastifyInstance;
  rt: Runtime;
  stop(): Promise<void>;
}

export interface Env {
  counters: CounterKind;
  /** The Redis key prefix of this suite: unique, removed by cleanRedis. */
  prefix: string;
  extra?: Record<string, string>;
}

export function newEnv(counters: CounterKind, extra: Record<string, string> = {}): Env {
  return { counters, prefix: `tessera-test:${randomBytes(6).toString('hex')}:`, extra };
}

/** Starts a node; `opts` replaces parts of the runtime (a stub password check, the hash pool's size). */
export async function startNode(
  store: Store,
  env: Env,
  clock: TestClock,
  opts: Pick<RuntimeOptions, 'verify' | 'hashParallelism'> = {},
): Promise<Node> {
  const config = loadConfig({
    TESSERA_ISSUER: ISSUER,
    TESSERA_SECRET: 'test-secret-test-secret-test-secret-0123',
    TESSERA_REDIS_PREFIX: env.prefix,
    // These suites count attempts, not load: admission control's refusals (503 when the
    // hash queue is long, which a loaded CI machine can make it) are tested in
    // test/login/admission.test.ts, so here its budget is out of reach.
    TESSERA_ADMISSION_BUDGET_MS: '60000',
    ...(env.counters === 'redis' ? { TESSERA_REDIS_URL: REDIS_URL } : {}),
    ...env.extra,
  });
  const rt = await createRuntime(config, { store, now: clock.now, log: silentLogger(), ...opts });
  const app = await buildServer(rt, { logger: false });
  return { app, rt, stop: () => app.close() };
}

/** A fresh store with the test tenant, a backend trusted for auth0-forwarded-for, and the given protections. */
export async function seededStore(kind: StoreKind, setting?: AttackProtectionSetting): Promise<Store> {
  const store = await kind.open();
  const clock = new TestClock();
  const node = await startNode(store, newEnv('memory'), clock);
  await seedTenant(node.rt);
  await upsertClient(
    store.db,
    {
      client_id: BACKEND,
      name: 'Acme Backend',
      token_endpoint_auth_method: 'client_secret_post',
      is_token_endpoint_ip_header_trusted: true,
      grant_types: ['password'],
    },
    hashClientSecret(SECRET),
    clock.now(),
  );
  const conn = (await findConnectionById(store.db, 'con_default'))!;
  await upsertConnection(
    store.db,
    { ...conn, enabled_clients: [...conn.enabled_clients, BACKEND] },
    clock.now(),
  );
  if (setting) await putSetting(store.db, 'attackProtection', setting);
  await node.stop();
  return store;
}

/** Removes the suite's Redis keys. */
export async function cleanRedis(env: Env): Promise<void> {
  if (env.counters !== 'redis') return;
  const r = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${env.prefix}*`, 'COUNT', 500);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

export interface LoginOptions {
  username?: string;
  password?: string;
  client?: string;
  ip?: string;
  headers?: Record<string, string>;
  /** Send no client_secret (a public client). */
  publicClient?: boolean;
  /** More form fields (realm, audience …). */
  form?: Record<string, string>;
}

/** A password login of Alice (or whoever is named), from `ip`. */
export function login(app: FastifyInstance, o: LoginOptions = {}) {
  return app.inject({
    method: 'POST',
    url: '/oauth/token',
    remoteAddress: o.ip ?? '203.0.113.10',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...o.headers },
    payload: new URLSearchParams({
      grant_type: 'password',
      username: o.username ?? ALICE.email,
      password: o.password ?? ALICE.password,
      client_id: o.client ?? UNTRUSTED,
      ...(o.publicClient ? {} : { client_secret: SECRET }),
      ...o.form,
    }).toString(),
  });
}

export const wrong = (o: LoginOptions = {}) => ({ password: 'not-the-password', ...o });

/**
 * A password login of Alice over a real connection to the listening `app`,
 * from 127.0.0.1, whose answer nobody reads: `destroy()` it to be a client
 * that goes away mid-request.
 */
export function loginOverSocket(app: FastifyInstance, password = ALICE.password): ClientRequest {
  const { port } = app.server.address() as AddressInfo;
  const body = new URLSearchParams({
    grant_type: 'password',
    username: ALICE.email,
    password,
    client_id: UNTRUSTED,
    client_secret: SECRET,
  }).toString();
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/oauth/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
    },
  });
  req.on('error', () => {});
  req.end(body);
  return req;
}

/** A new user of the default directory, named `name@acme.test`, password `<name>-Pa55word!`. */
export async function newUser(rt: Runtime, name: string, connection = 'con_default') {
  const user = { email: `${name}@acme.test`, password: `${name}-Pa55word!`, id: `auth0|${name}` };
  await addUser(rt, {
    user_id: user.id,
    connection_id: connection,
    email: user.email,
    password: user.password,
  });
  return user;
}

/** Runs `fn` with another attackProtection setting, then puts the old one back. */
export async function withSetting(
  rt: Runtime,
  setting: AttackProtectionSetting,
  fn: () => Promise<void>,
): Promise<void> {
  const old = await getSetting<AttackProtectionSetting>(rt.store.db, 'attackProtection');
  await putSetting(rt.store.db, 'attackProtection', setting);
  try {
    await fn();
  } finally {
    await putSetting(rt.store.db, 'attackProtection', old ?? {});
  }
}

/** How many events of a type the store holds. */
export async function countEvents(rt: Runtime, type: string): Promise<number> {
  return (await listEvents(rt.store.db, { type, limit: 10_000 })).length;
}

export const BRUTE_FORCE_BODY = {
  error: 'too_many_attempts',
  error_description:
    "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it.",
};

/** The brute-force answer without the user_notification shield: no email is promised, as none is sent. */
export const BRUTE_FORCE_NO_EMAIL_BODY = {
  error: 'too_many_attempts',
  error_description: 'Your account has been blocked after multiple consecutive login attempts.',
};

export const SUSPICIOUS_IP_BODY = {
  error: 'too_many_attempts',
  error_description:
    'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.',
};

export const LEAKED_BODY = {
  error: 'password_leaked',
  error_description:
    'This login has been blocked because your password has been leaked in another website. We’ve sent you an email with instructions on how to unblock it.',
};

export const WRONG_BODY = { error: 'invalid_grant', error_description: 'Wrong email or password.' };
