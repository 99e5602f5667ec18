import type { FastifyInstance } from 'fastify';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import type { Runtime } from '../../src/runtime.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { getSetting, putSetting } from '../../src/store/repos/settings.js';
import { ISSUER, tokenRequest } from '../helpers/app.js';

/** The Management API audience of the test issuer. */
export const MGMT_AUDIENCE = `${ISSUER}api/v2/`;

/** Seeds a machine client granted `scopes` on the Management API (in-process tests, issuer https://tessera.test/). */
export async function seedMachineClient(rt: Runtime, clientId: string, scopes: string[]) {
  const secret = `${clientId}-secret-0123456789-abcdef`;
  await upsertClient(
    rt.store.db,
    {
      client_id: clientId,
      name: `Machine ${clientId}`,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
    },
    hashClientSecret(secret),
    rt.now(),
  );
  const grants = (await getSetting<unknown[]>(rt.store.db, 'clientGrants')) ?? [];
  await putSetting(rt.store.db, 'clientGrants', [
    ...grants,
    { client_id: clientId, audience: MGMT_AUDIENCE, scope: scopes },
  ]);
  return { clientId, secret };
}

/** A client_credentials token of that client for `audience` (default the Management API). */
export async function machineToken(
  app: FastifyInstance,
  client: { clientId: string; secret: string },
  audience = MGMT_AUDIENCE,
  scope?: string,
): Promise<string> {
  const res = await tokenRequest(app, {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.secret,
    audience,
    ...(scope ? { scope } : {}),
  });
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return res.json().access_token;
}

/**
 * An in-process Management API call with a Bearer token: `url` below
 * `/api/v2/`, `payload` sent as JSON when given.
 */
export function managementCall(
  app: FastifyInstance,
  token: string,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  return app.inject({
    method,
    url: `/api/v2/${url}`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}
