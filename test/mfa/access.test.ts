import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { totpAt } from '../../src/mfa/totp.js';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { startFamily } from '../../src/tokens/refresh-tokens.js';
import { findClient, upsertClient } from '../../src/store/repos/clients.js';
import { putSetting } from '../../src/store/repos/settings.js';
import {
  ALICE,
  API,
  ISSUER,
  SECRET,
  addUser,
  startTestApp,
  type TestApp,
  tokenRequest,
} from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { rule, setScripts } from '../rules/helpers.js';
import { associate, authenticators, grant, passwordLogin, setUpMfa } from './helpers.js';

const MFA_API = `${ISSUER}mfa/`;
const ALL = 'enroll read:authenticators remove:authenticators';

/** A password login for the MFA API that succeeds (the user has no confirmed factor). */
async function mfaApiToken(t: TestApp, username: string, scope = ALL): Promise<string> {
  const res = await tokenRequest(t.app, {
    grant_type: 'password',
    username,
    password: ALICE.password,
    client_id: 'mfa-app',
    client_secret: SECRET,
    audience: MFA_API,
    scope,
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().access_token;
}

function remove(t: TestApp, token: string, id: string) {
  return t.app.inject({
    method: 'DELETE',
    url: `/mfa/authenticators/${encodeURIComponent(id)}`,
    headers: { authorization: `Bearer ${token}` },
  });
}

const insufficientScope = (scope: string) => ({
  error: 'insufficient_scope',
  error_description: `This needs an access token for the MFA API with the scope ${scope}`,
});
const ALREADY = { error: 'access_denied', error_description: 'User is already enrolled' };
const STEP_UP = {
  error: 'insufficient_user_authentication',
  error_description:
    'The user has an active authenticator: this needs an access token for the MFA API obtained with multifactor authentication.',
};

/** One access rule for listing, enrolling and removing, on every kind of caller (src/mfa/access.ts). */
for (const kind of storeKinds) {
  describe(`MFA API access rule (${kind.name})`, () => {
    let t: TestApp;
    let ninaSecret: string;
    before(async () => {
      t = await startTestApp(kind);
      await setUpMfa(t, []);
      // MFA only for the orders API, as a rule asks it: the MFA API must gate itself.
      await setScripts(t, {
        rules: [
          rule(
            'mfa-for-orders',
            `if (context.request.body.audience === '${API}') context.multifactor = { provider: 'any' };
             callback(null, user, context);`,
          ),
        ],
      });
      for (const name of ['nina', 'oona', 'pia']) {
        await addUser(t.rt, {
          user_id: `auth0|${name}`,
          connection_id: 'con_default',
          email: `${name}@acme.test`,
          password: ALICE.password,
        });
      }
    });
    after(() => t.close());

    it('an mfa_token lists, enrolls only the first factor, and never removes', async () => {
      const first = await passwordLogin(t, { audience: API, scope: 'read:orders' }, 'nina@acme.test');
      assert.deepEqual((await authenticators(t, first.mfa_token)).json(), []);
      const enrolled = await associate(t, first.mfa_token, { authenticator_types: ['otp'] });
      assert.equal(enrolled.statusCode, 200, enrolled.body);
      ninaSecret = enrolled.json().secret;
      const listed = (await authenticators(t, first.mfa_token)).json();
      const noRemove = await remove(t, first.mfa_token, listed[0].id);
      assert.equal(noRemove.statusCode, 403);
      assert.deepEqual(noRemove.json(), insufficientScope('remove:authenticators'));
      assert.equal(
        noRemove.headers['www-authenticate'],
        'Bearer error="insufficient_scope", scope="remove:authenticators"',
      );
      const done = await grant(t, 'otp', { mfa_token: first.mfa_token, otp: totpAt(ninaSecret, t.clock.t) });
      assert.equal(done.statusCode, 200, done.body);
      assert.deepEqual(decodeJwt(done.json().access_token).amr, ['mfa']);

      t.clock.advance(30_000);
      const next = await passwordLogin(t, { audience: API, scope: 'read:orders' }, 'nina@acme.test');
      const again = await associate(t, next.mfa_token, { authenticator_types: ['otp'] });
      assert.equal(again.statusCode, 403);
      assert.deepEqual(again.json(), ALREADY);
      assert.deepEqual(
        (await authenticators(t, next.mfa_token)).json().map((a: { active: boolean }) => a.active),
        [true, true],
      );
    });

    it('a password-only MFA API token enrolls the first factor, confirmed only with that token', async () => {
      const token = await mfaApiToken(t, 'oona@acme.test');
      assert.equal(decodeJwt(token).amr, undefined, 'no second factor yet');
      const enrolled = await associate(t, token, { authenticator_types: ['otp'] });
      assert.equal(enrolled.statusCode, 200, enrolled.body);
      const { secret } = enrolled.json();

      // Another login's challenge is no place to confirm it.
      const other = await passwordLogin(t, { audience: API, scope: 'read:orders' }, 'oona@acme.test');
      assert.deepEqual(other.mfa_requirements, {
        enroll: [{ type: 'otp' }, { type: 'sms' }, { type: 'email' }],
      });
      const foreign = await grant(t, 'otp', { mfa_token: other.mfa_token, otp: totpAt(secret, t.clock.t) });
      assert.equal(foreign.statusCode, 400);
      assert.deepEqual(foreign.json(), {
        error: 'unsupported_challenge_type',
        error_description: 'The user has no active otp authenticator.',
      });

      // The token that enrolled it confirms it, and gets an MFA API token that completed MFA.
      const confirmed = await grant(t, 'otp', { mfa_token: token, otp: totpAt(secret, t.clock.t) });
      assert.equal(confirmed.statusCode, 200, confirmed.body);
      const stepped = confirmed.json().access_token;
      const claims = decodeJwt(stepped);
      assert.deepEqual([claims.aud, claims.scope, claims.amr], [MFA_API, ALL, ['mfa']]);

      // Now the user is enrolled: the password-only token may still list, but neither add nor remove.
      const list = await authenticators(t, token);
      assert.equal(list.statusCode, 200);
      const ids = list.json().map((a: { id: string }) => a.id);
      const add = await associate(t, token, { authenticator_types: ['otp'] });
      assert.equal(add.statusCode, 403);
      assert.deepEqual(add.json(), ALREADY);
      const del = await remove(t, token, ids[0]);
      assert.equal(del.statusCode, 401);
      assert.deepEqual(del.json(), STEP_UP);
      assert.equal(del.headers['www-authenticate'], 'Bearer error="insufficient_user_authentication"');

      // A new password login for the MFA API is asked for the factor.
      const gated = await passwordLogin(t, { audience: MFA_API, scope: ALL }, 'oona@acme.test');
      assert.deepEqual(gated.mfa_requirements, { challenge: [{ type: 'otp' }] });

      // The token that completed MFA adds a second factor and removes the first.
      t.clock.advance(30_000);
      const second = await associate(t, stepped, { authenticator_types: ['otp'] });
      assert.equal(second.statusCode, 200, second.body);
      assert.equal(second.json().recovery_codes, undefined, 'the recovery code is only shown once');
      const ok = await grant(t, 'otp', { mfa_token: stepped, otp: totpAt(second.json().secret, t.clock.t) });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal((await remove(t, stepped, ids[0])).statusCode, 204);
      const left = (await authenticators(t, stepped)).json();
      assert.deepEqual(
        left.map((a: { authenticator_type: string; active: boolean }) => [a.authenticator_type, a.active]),
        [
          ['otp', true],
          ['recovery-code', true],
        ],
      );
    });

    it('a refresh token for the MFA API (however obtained) never yields enroll or remove', async () => {
      // Tessera's MFA API allows no offline access; were a family ever started for it, its tokens
      // would still not carry the MFA of a login (oona is enrolled by now).
      const client = (await findClient(t.rt.store.db, 'mfa-app'))!.client;
      const refresh = await startFamily(t.rt, {
        client,
        userId: 'auth0|oona',
        connectionId: 'con_default',
        audience: MFA_API,
        scopes: ALL.split(' '),
      });
      const res = await tokenRequest(t.app, {
        grant_type: 'refresh_token',
        client_id: 'mfa-app',
        client_secret: SECRET,
        refresh_token: refresh,
      });
      assert.equal(res.statusCode, 200, res.body);
      const token = res.json().access_token;
      assert.equal(decodeJwt(token).amr, undefined);
      assert.deepEqual((await associate(t, token, { authenticator_types: ['otp'] })).json(), ALREADY);
      const ids = (await authenticators(t, token)).json().map((a: { id: string }) => a.id);
      const del = await remove(t, token, ids[0]);
      assert.equal(del.statusCode, 401);
      assert.deepEqual(del.json(), STEP_UP);
    });

    it('each action needs its scope on an access token', async () => {
      const token = await mfaApiToken(t, 'pia@acme.test', 'read:authenticators');
      const add = await associate(t, token, { authenticator_types: ['otp'] });
      assert.equal(add.statusCode, 403);
      assert.deepEqual(add.json(), insufficientScope('enroll'));
      const del = await remove(t, token, 'totp|dev_x');
      assert.deepEqual(del.json(), insufficientScope('remove:authenticators'));
      const none = await mfaApiToken(t, 'pia@acme.test', 'enroll');
      assert.deepEqual((await authenticators(t, none)).json(), insufficientScope('read:authenticators'));
    });

    it('refuses a machine token for the MFA API', async () => {
      const db = t.rt.store.db;
      const m2m = { client_id: 'm2m', name: 'Machine', grant_types: ['client_credentials'] };
      await upsertClient(
        db,
        { ...m2m, token_endpoint_auth_method: 'client_secret_post' },
        hashClientSecret(SECRET),
        t.rt.now(),
      );
      await putSetting(db, 'clientGrants', [
        { client_id: 'm2m', audience: MFA_API, scope: ['read:authenticators'] },
      ]);
      const res = await tokenRequest(t.app, {
        grant_type: 'client_credentials',
        client_id: 'm2m',
        client_secret: SECRET,
        audience: MFA_API,
      });
      assert.equal(res.statusCode, 200, res.body);
      const listed = await authenticators(t, res.json().access_token);
      assert.equal(listed.statusCode, 401);
      assert.equal(listed.json().error, 'invalid_token');
    });

    it('a refresh does not carry the MFA of the login it continues', async () => {
      t.clock.advance(60_000);
      const login = await passwordLogin(
        t,
        { audience: API, scope: 'read:orders offline_access' },
        'nina@acme.test',
      );
      const done = await grant(t, 'otp', { mfa_token: login.mfa_token, otp: totpAt(ninaSecret, t.clock.t) });
      assert.equal(done.statusCode, 200, done.body);
      assert.deepEqual(decodeJwt(done.json().access_token).amr, ['mfa']);
      const refreshed = await tokenRequest(t.app, {
        grant_type: 'refresh_token',
        client_id: 'mfa-app',
        client_secret: SECRET,
        refresh_token: done.json().refresh_token,
      });
      assert.equal(refreshed.statusCode, 200, refreshed.body);
      assert.equal(decodeJwt(refreshed.json().access_token).amr, undefined);
    });
  });
}
