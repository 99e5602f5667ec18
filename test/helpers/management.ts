import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagementClient } from 'auth0';
import type { FastifyInstance } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import { loadConfig } from '../../src/config/config.js';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { getSetting, putSetting } from '../../src/store/repos/settings.js';
import { seedTenant, silentLogger, TestClock } from './app.js';
import { freePort } from './free-port.js';
import type { StoreKind } from './stores.js';

/** The machine client every harness seeds, with a client grant for `<issuer>api/v2/`. */
export const M2M = { clientId: 'mgmt-m2m', clientSecret: 'mgmt-m2m-secret-0123456789-abcdefghij' };

/** Every Management API scope the users endpoints need. */
export const USER_SCOPES = ['read:users', 'create:users', 'update:users', 'delete:users'];

let cert: { key: Buffer; cert: Buffer } | undefined;

/** A self-signed certificate for `localhost`, made once per test process (openssl). */
export function testCertificate(): { key: Buffer; cert: Buffer } {
  if (cert) return cert;
  const dir = mkdtempSync(join(tmpdir(), 'tessera-mgmt-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
        ...['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    cert = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    return cert;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ManagementHarness {
  app: FastifyInstance;
  rt: Runtime;
  clock: TestClock;
  /** `https://localhost:PORT/`. */
  issuer: string;
  /** `https://localhost:PORT/api/v2/`. */
  audience: string;
  /** The SDK's client, as an Auth0 backend builds it (its own token from /oauth/token). */
  management: ManagementClient;
  /** A fetch that trusts the test certificate (raw HTTP tests over TLS). */
  fetch: typeof fetch;
  /** A client_credentials token for the Management API (`scopes` default: the grant's). */
  token(scopes?: string[], client?: { clientId: string; clientSecret: string }): Promise<string>;
  /** Seeds another machine client with a grant for the Management API (or none: `scopes` null). */
  addMachineClient(
    clientId: string,
    scopes: string[] | null,
  ): Promise<{ clientId: string; clientSecret: string }>;
  close(): Promise<void>;
}

/**
 * Tessera over HTTPS on `localhost` with a self-signed certificate, the
 * small tenant of helpers/app.ts, and a machine client (`M2M`) granted
 * `scopes` on `<issuer>api/v2/`. Returns the auth0 SDK's ManagementClient
 * for it; its fetch trusts the certificate (no global TLS setting).
 */
export async function startManagement(
  kind: StoreKind,
  opts: { scopes?: string[]; env?: Record<string, string> } = {},
): Promise<ManagementHarness> {
  const port = await freePort();
  const issuer = `https://localhost:${port}/`;
  const audience = `${issuer}api/v2/`;
  const tls = testCertificate();
  const store = await kind.open();
  const clock = new TestClock();
  // The SDK caches its token by the real clock: the test clock starts now.
  clock.t = Date.now();
  const config = loadConfig({
    TESSERA_ISSUER: issuer,
    TESSERA_SECRET: 'test-secret-test-secret-test-secret-0123',
    ...opts.env,
  });
  const rt = await createRuntime(config, { store, now: clock.now, log: silentLogger() });
  await seedTenant(rt);
  const addMachineClient = async (clientId: string, scopes: string[] | null) => {
    const clientSecret = `${clientId}-secret-0123456789-abcdefghij`;
    await upsertClient(
      rt.store.db,
      {
        client_id: clientId,
        name: `Machine ${clientId}`,
        app_type: 'non_interactive',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
      },
      hashClientSecret(clientSecret),
      rt.now(),
    );
    if (scopes) {
      const grants = (await getSetting<unknown[]>(rt.store.db, 'clientGrants')) ?? [];
      await putSetting(rt.store.db, 'clientGrants', [
        ...grants,
        { client_id: clientId, audience, scope: scopes },
      ]);
    }
    return { clientId, clientSecret };
  };
  await addMachineClient(M2M.clientId, opts.scopes ?? USER_SCOPES);
  const app = await buildServer(rt, { logger: false, https: tls });
  await app.listen({ port, host: 'localhost' });
  const dispatcher = new Agent({ connect: { ca: tls.cert } });
  const trustingFetch = ((input: unknown, init?: Record<string, unknown>) =>
    undiciFetch(input as string, { ...init, dispatcher } as never)) as unknown as typeof fetch;
  const management = new ManagementClient({
    domain: `localhost:${port}`,
    clientId: M2M.clientId,
    clientSecret: M2M.clientSecret,
    fetch: trustingFetch,
  });
  return {
    app,
    rt,
    clock,
    issuer,
    audience,
    management,
    fetch: trustingFetch,
    addMachineClient,
    async token(scopes, client = M2M) {
      const form: Record<string, string> = {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        audience,
      };
      if (scopes) form.scope = scopes.join(' ');
      const res = await app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      });
      if (res.statusCode !== 200) throw new Error(`no management token: ${res.statusCode} ${res.body}`);
      return res.json().access_token as string;
    },
    async close() {
      // Abort the client side first: a response body a test never read would keep app.close() waiting.
      await dispatcher.destroy();
      await app.close();
      await store.close();
    },
  };
}
