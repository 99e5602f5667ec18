import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { SECRET, type TestApp, tokenRequest, ALICE_LOGIN } from '../helpers/app.js';

export const NS = 'https://acme.test/';

export const alice = ALICE_LOGIN;

export interface Scripts {
  rules?: { name: string; script: string; enabled?: boolean; order?: number }[];
  actions?: {
    name: string;
    code: string;
    enabled?: boolean;
    order?: number;
    secrets?: Record<string, string>;
  }[];
  configs?: Record<string, string>;
}

/** Replaces the tenant's rules, actions and rules configs (enabled, in list order unless given). */
export async function setScripts(t: TestApp, s: Scripts): Promise<void> {
  const db = t.rt.store.db;
  await putSetting(
    db,
    'rules',
    (s.rules ?? []).map((r, i) => ({ enabled: true, order: i + 1, ...r })),
  );
  await putSetting(
    db,
    'actions',
    (s.actions ?? []).map((a, i) => ({ trigger: 'post-login', enabled: true, order: i + 1, ...a })),
  );
  await putSetting(
    db,
    'rulesConfigs',
    Object.entries(s.configs ?? {}).map(([key, value]) => ({ key, value })),
  );
}

/** A rule body (inside `function (user, context, callback) {…}`). */
export const rule = (name: string, body: string) => ({
  name,
  script: `function (user, context, callback) {\n${body}\n}`,
});

/** An action body (inside `exports.onExecutePostLogin = async (event, api) => {…}`). */
export const action = (name: string, body: string, secrets?: Record<string, string>) => ({
  name,
  code: `exports.onExecutePostLogin = async (event, api) => {\n${body}\n};`,
  ...(secrets ? { secrets } : {}),
});

/** A password login that must succeed; its decoded tokens. */
export async function login(t: TestApp, form: Record<string, string> = {}) {
  const res = await tokenRequest(t.app, { ...alice, ...form });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  return {
    body,
    access: decodeJwt(body.access_token) as Record<string, any>,
    id: body.id_token ? (decodeJwt(body.id_token) as Record<string, any>) : undefined,
  };
}

/** Adds a confidential client `refresher` with the refresh_token grant, enabled on the default directory. */
export async function addRefreshClient(t: TestApp): Promise<void> {
  const now = t.rt.now();
  await upsertClient(
    t.rt.store.db,
    {
      client_id: 'refresher',
      name: 'Refresher',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['password', 'refresh_token'],
      refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', leeway: 0 },
    },
    hashClientSecret(SECRET),
    now,
  );
  await upsertConnection(
    t.rt.store.db,
    {
      id: 'con_default',
      name: 'Username-Password-Authentication',
      strategy: 'auth0',
      enabled_clients: ['acme-web', 'acme-basic', 'acme-spa', 'acme-nopw', 'refresher'],
    },
    now,
  );
}

/** A refresh token of `refresher` for Alice (obtained with no rules in place). */
export async function refreshToken(t: TestApp): Promise<string> {
  await setScripts(t, {});
  const { body } = await login(t, { client_id: 'refresher', scope: 'openid offline_access read:orders' });
  assert.ok(body.refresh_token);
  return body.refresh_token;
}

export function refresh(t: TestApp, token: string) {
  return tokenRequest(t.app, {
    grant_type: 'refresh_token',
    client_id: 'refresher',
    client_secret: SECRET,
    refresh_token: token,
  });
}

/** Collects what the app logs at warn and error level. */
export function captureLogs(t: TestApp) {
  const lines: { level: string; obj: any; msg: string }[] = [];
  const log = t.rt.log as any;
  log.warn = (obj: any, msg: string) => lines.push({ level: 'warn', obj, msg });
  log.error = (obj: any, msg: string) => lines.push({ level: 'error', obj, msg });
  return lines;
}
