import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/config.js';
import { hashPassword } from '../../src/identity/passwords.js';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server.js';
import { type Client, upsertClient } from '../../src/store/repos/clients.js';
import { type Connection, upsertConnection } from '../../src/store/repos/connections.js';
import { type ResourceServer, upsertResourceServer } from '../../src/store/repos/resource-servers.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { upsertUser, type UserWrite } from '../../src/store/repos/users.js';
import type { StoreKind } from './stores.js';

export const ISSUER = 'https://tessera.test/';
export const API = 'https://api.acme.test/orders';
export const SECRET = 'web-secret-0123456789-abcdefghij';
export const ALICE = {
  email: 'alice@acme.test',
  password: 'correct horse battery staple',
  id: 'auth0|alice',
};

/** Alice's password login at the test tenant's confidential client `acme-web` (form fields). */
export const ALICE_LOGIN: Readonly<Record<string, string>> = {
  grant_type: 'password',
  username: ALICE.email,
  password: ALICE.password,
  client_id: 'acme-web',
  client_secret: SECRET,
};

/** A test clock that starts at a fixed instant and moves only when told. */
export class TestClock {
  t = Date.UTC(2026, 10, 25, 12, 0, 0);
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

export interface TestApp {
  app: FastifyInstance;
  rt: Runtime;
  clock: TestClock;
  close(): Promise<void>;
}

/**
 * A Tessera app on a fresh database of the given kind, with a small tenant:
 * two connections, one API, a confidential, a Basic and a public client, and
 * Alice in the default directory.
 */
export async function startTestApp(
  kind: StoreKind,
  opts: { env?: Record<string, string> } = {},
): Promise<TestApp> {
  const store = await kind.open();
  const clock = new TestClock();
  const config = loadConfig({
    TESSERA_ISSUER: ISSUER,
    TESSERA_SECRET: 'test-secret-test-secret-test-secret-0123',
    // Admission control refuses logins by load (503), which a loaded machine makes
    // unpredictable; it is tested on its own (test/login/admission.test.ts).
    TESSERA_ADMISSION_BUDGET_MS: '60000',
    ...opts.env,
  });
  const rt = await createRuntime(config, { store, now: clock.now, log: silentLogger() });
  await seedTenant(rt);
  const app = await buildServer(rt, { logger: false });
  return {
    app,
    rt,
    clock,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export async function seedTenant(rt: Runtime): Promise<void> {
  const db = rt.store.db;
  const now = rt.now();
  const clients: [Client, string | null][] = [
    [
      {
        client_id: 'acme-web',
        name: 'Acme Web',
        app_type: 'regular_web',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['password', 'http://auth0.com/oauth/grant-type/password-realm'],
        jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 36000 },
      },
      SECRET,
    ],
    [
      {
        client_id: 'acme-basic',
        name: 'Acme Basic',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['password'],
      },
      SECRET,
    ],
    [
      {
        client_id: 'acme-spa',
        name: 'Acme SPA',
        token_endpoint_auth_method: 'none',
        grant_types: ['password'],
      },
      null,
    ],
    [
      {
        client_id: 'acme-nopw',
        name: 'No password',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: [],
      },
      SECRET,
    ],
  ];
  for (const [c, s] of clients) await upsertClient(db, c, s ? hashClientSecret(s) : null, now);
  const conns: Connection[] = [
    {
      id: 'con_default',
      name: 'Username-Password-Authentication',
      strategy: 'auth0',
      realms: [],
      enabled_clients: ['acme-web', 'acme-basic', 'acme-spa', 'acme-nopw'],
    },
    {
      id: 'con_employees',
      name: 'employees',
      strategy: 'auth0',
      realms: ['staff'],
      enabled_clients: ['acme-web'],
    },
  ];
  for (const c of conns) await upsertConnection(db, c, now);
  const api: ResourceServer = {
    id: 'rs_orders',
    name: 'Orders API',
    identifier: API,
    scopes: [{ value: 'read:orders' }, { value: 'write:orders' }],
    signing_alg: 'RS256',
    token_lifetime: 7200,
    allow_offline_access: true,
  };
  await upsertResourceServer(db, api, now);
  await putSetting(db, 'tenant', {
    friendly_name: 'Acme',
    default_directory: 'Username-Password-Authentication',
    default_audience: API,
  });
  await addUser(rt, {
    user_id: ALICE.id,
    connection_id: 'con_default',
    email: ALICE.email,
    email_verified: true,
    profile: { name: 'Alice Example' },
    password: ALICE.password,
  });
}

export async function addUser(
  rt: Runtime,
  u: Omit<UserWrite, 'password_hash'> & { password?: string; hash?: string },
) {
  const { password, hash, ...rest } = u;
  await upsertUser(
    rt.store.db,
    { ...rest, password_hash: hash ?? (password ? await hashPassword(password) : null) },
    rt.now(),
  );
}

/** A logger that drops everything (pino's own, at level silent). */
export function silentLogger() {
  return pino({ level: 'silent' });
}

/** A form-encoded POST /oauth/token through inject(). */
export function tokenRequest(
  app: FastifyInstance,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(form).toString(),
  });
}
