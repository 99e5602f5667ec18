import assert from 'node:assert/strict';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { ALICE, SECRET, type TestApp, tokenRequest } from '../helpers/app.js';

export const MFA = {
  otp: 'http://auth0.com/oauth/grant-type/mfa-otp',
  oob: 'http://auth0.com/oauth/grant-type/mfa-oob',
  recovery: 'http://auth0.com/oauth/grant-type/mfa-recovery-code',
};

/** MFA on every login, all four factors, a client `mfa-app` allowed the MFA grants. */
export async function setUpMfa(t: TestApp, policies: string[] = ['all-applications']): Promise<void> {
  const db = t.rt.store.db;
  const now = t.rt.now();
  await putSetting(db, 'guardian', {
    policies,
    factors: { otp: true, sms: true, email: true, 'recovery-code': true },
  });
  await upsertClient(
    db,
    {
      client_id: 'mfa-app',
      name: 'MFA App',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['password', 'refresh_token', MFA.otp, MFA.oob, MFA.recovery],
    },
    hashClientSecret(SECRET),
    now,
  );
  await upsertConnection(
    db,
    {
      id: 'con_default',
      name: 'Username-Password-Authentication',
      strategy: 'auth0',
      enabled_clients: ['acme-web', 'acme-basic', 'acme-spa', 'acme-nopw', 'mfa-app'],
    },
    now,
  );
}

/** A password login that must answer mfa_required; returns the body. */
export async function passwordLogin(t: TestApp, extra: Record<string, string> = {}, username = ALICE.email) {
  const res = await tokenRequest(t.app, {
    grant_type: 'password',
    username,
    password: ALICE.password,
    client_id: 'mfa-app',
    client_secret: SECRET,
    scope: 'openid offline_access read:orders',
    ...extra,
  });
  assert.equal(res.statusCode, 403, res.body);
  return res.json();
}

export function grant(t: TestApp, type: keyof typeof MFA, form: Record<string, string>) {
  return tokenRequest(t.app, { grant_type: MFA[type], client_id: 'mfa-app', client_secret: SECRET, ...form });
}

export function associate(t: TestApp, token: string, body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/mfa/associate',
    headers: { authorization: `Bearer ${token}` },
    payload: body,
  });
}

export function challenge(t: TestApp, body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/mfa/challenge',
    payload: { client_id: 'mfa-app', client_secret: SECRET, ...body },
  });
}

export function authenticators(t: TestApp, token: string) {
  return t.app.inject({ url: '/mfa/authenticators', headers: { authorization: `Bearer ${token}` } });
}
