import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { parseTenantFile } from '../tenant/parse.js';
import { DEMO_TENANT, type Started } from './serve.js';

/**
 * What `tessera dev` runs next to Tessera: the sample Orders API and the
 * trusted app (examples/), wired to the demo tenant's client and API. The
 * examples are TypeScript outside the build: run from source (tsx) they are
 * imported as they are; from dist/ they are loaded through tsx's loader.
 */

/** The demo tenant's confidential client and API (examples/demo-tenant.yaml). */
export const DEMO_CLIENT = {
  clientId: 'acme-web',
  clientSecret: 'demo-acme-web-secret-not-for-production',
  audience: 'https://api.acme.test/orders',
} as const;

/** The example modules, typed here by shape: they are outside src/. */
interface OrdersApiModule {
  buildOrdersApi(opts: {
    issuer: string;
    audience: string;
    jwksUrl?: string;
    logger?: boolean;
  }): Promise<FastifyInstance>;
}
interface TrustedAppModule {
  buildTrustedApp(opts: {
    tesseraUrl: string;
    ordersApiUrl: string;
    clientId: string;
    clientSecret: string;
    audience: string;
    cookieSecret: string;
    [more: string]: unknown;
  }): Promise<FastifyInstance>;
}

async function importExample<T>(path: string): Promise<T> {
  const url = new URL(`../../examples/${path}`, import.meta.url).href;
  try {
    return (await import(url)) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    let tsx: typeof import('tsx/esm/api');
    try {
      tsx = await import('tsx/esm/api');
    } catch {
      throw new Error(
        `the demo apps are TypeScript and need tsx (a dev dependency: run npm ci) to load ${path}`,
      );
    }
    return (await tsx.tsImport(url, import.meta.url)) as T;
  }
}

export interface DemoApps {
  ordersApi?: FastifyInstance;
  trustedApp?: FastifyInstance;
  /** Where a browser opens them (undefined: that app could not start). */
  ordersApiUrl?: string;
  trustedAppUrl?: string;
  close(): Promise<void>;
}

export interface DemoAppsOptions {
  env?: Record<string, string | undefined>;
  /** More options for buildTrustedApp (tests pass a session store or a clock). */
  trustedApp?: Record<string, unknown>;
  warn?: (message: string) => void;
}

/**
 * The demo apps' ports: ORDERS_API_PORT and TRUSTED_APP_PORT, else 3001 and
 * 3002, or free ports when Tessera's own PORT is 0.
 */
export function demoPorts(
  env: Record<string, string | undefined>,
  tesseraPort: number,
): { ordersApi: number; trustedApp: number } {
  const port = (name: string, fallback: number) => {
    const v = env[name];
    if (v === undefined || v === '') return tesseraPort === 0 ? 0 : fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new Error(`${name} must be a port number, got "${v}"`);
    return n;
  };
  return { ordersApi: port('ORDERS_API_PORT', 3001), trustedApp: port('TRUSTED_APP_PORT', 3002) };
}

/** Where `tessera dev` listens unless HOST says otherwise: the demo's secrets are public. */
export const DEV_HOST = '127.0.0.1';

/** What the dev banner says about the address Tessera is bound to, and who can reach it. */
export function bindingNote(address: string): string {
  if (address === '127.0.0.1' || address === '::1') {
    return `bound to ${address} only: reachable from this machine alone (HOST=0.0.0.0 opens it to the network)`;
  }
  const where = address === '0.0.0.0' || address === '::' ? `every interface (${address})` : address;
  return `bound to ${where}: other machines can reach it, and the demo tenant's secrets are public`;
}

/** What a browser on this machine types: localhost for a wildcard or loopback address. */
function browserUrl(host: string, app: FastifyInstance): string {
  const { port } = app.server.address() as AddressInfo;
  const local = ['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost', ''].includes(host);
  const h = local ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}/`;
}

/**
 * Starts the Orders API and the trusted app next to a started Tessera. An app
 * that cannot listen (its port is taken) is reported with `warn`; Tessera
 * keeps running.
 */
export async function startDemoApps(
  config: Config,
  tessera: Started,
  opts: DemoAppsOptions = {},
): Promise<DemoApps> {
  const env = opts.env ?? process.env;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const ports = demoPorts(env, config.port);
  // Server to server: the address Tessera actually listens on.
  const tesseraUrl = tessera.url;
  const apps: DemoApps = {
    async close() {
      await Promise.all([apps.trustedApp?.close(), apps.ordersApi?.close()]);
    },
  };

  const { buildOrdersApi } = await importExample<OrdersApiModule>('orders-api/server.ts');
  const ordersApi = await buildOrdersApi({
    issuer: tessera.rt.config.issuer,
    audience: DEMO_CLIENT.audience,
    jwksUrl: `${tesseraUrl}/.well-known/jwks.json`,
  });
  let ordersApiLocal: string | undefined;
  try {
    ordersApiLocal = await ordersApi.listen({ host: config.host, port: ports.ordersApi });
    apps.ordersApi = ordersApi;
    apps.ordersApiUrl = browserUrl(config.host, ordersApi);
  } catch (err) {
    warn(
      `the Orders API could not listen on port ${ports.ordersApi} (${(err as Error).message}); set ORDERS_API_PORT`,
    );
    await ordersApi.close();
    return apps;
  }

  const { buildTrustedApp } = await importExample<TrustedAppModule>('trusted-app/server.ts');
  const trustedApp = await buildTrustedApp({
    tesseraUrl,
    ordersApiUrl: ordersApiLocal,
    ...DEMO_CLIENT,
    // Sessions live in memory, so a new secret at each start loses nothing.
    cookieSecret: randomBytes(32).toString('base64url'),
    ...opts.trustedApp,
  });
  try {
    await trustedApp.listen({ host: config.host, port: ports.trustedApp });
    apps.trustedApp = trustedApp;
    apps.trustedAppUrl = browserUrl(config.host, trustedApp);
  } catch (err) {
    warn(
      `the trusted app could not listen on port ${ports.trustedApp} (${(err as Error).message}); set TRUSTED_APP_PORT`,
    );
    await trustedApp.close();
  }
  return apps;
}

/** The demo users of the tenant file, with their directory (realm) and password. */
function demoUsers(): { realm: string; email: string; password: string }[] {
  const doc = parseTenantFile(readFileSync(DEMO_TENANT, 'utf8'), process.env);
  const realmOf = (connection: string) => {
    const c = doc.connections?.find((x) => x.name === connection);
    return c?.realms?.[0] ?? connection;
  };
  return (doc.users ?? []).flatMap((u) =>
    u.email && u.password ? [{ realm: realmOf(u.connection), email: u.email, password: u.password }] : [],
  );
}

/** What `tessera dev` prints about the demo apps. */
export function demoBanner(apps: DemoApps): string {
  const users = demoUsers();
  const width = Math.max(...users.map((u) => u.email.length));
  const lines = [
    'The trusted app and its API:',
    '',
    `  Trusted app (sign in here):  ${apps.trustedAppUrl ?? '(not started)'}`,
    `  Orders API:                  ${apps.ordersApiUrl ? `${apps.ordersApiUrl}orders` : '(not started)'}`,
    '',
    'Demo users (directory, email, password):',
    '',
    ...users.map((u) => `  ${u.realm.padEnd(10)}  ${u.email.padEnd(width)}  ${u.password}`),
    '',
    'A rule in the demo tenant asks users flagged with app_metadata.mfa (Carol) for a second factor:',
    'the app walks them through enrolling an authenticator app. To require MFA on every login:',
    '',
    '  npx tessera apply examples/trusted-app/mfa-everyone.yaml',
    '',
    '',
  ];
  return lines.join('\n');
}
