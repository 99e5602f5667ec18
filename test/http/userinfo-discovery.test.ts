import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { deleteUser } from '../../src/store/repos/users.js';
import {
  ALICE,
  ISSUER,
  addUser,
  startTestApp,
  type TestApp,
  tokenRequest,
  ALICE_LOGIN,
} from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const alice = ALICE_LOGIN;

for (const kind of storeKinds) {
  describe(`userinfo and discovery (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    const userinfo = (token?: string, method: 'GET' | 'POST' = 'GET') =>
      t.app.inject({ method, url: '/userinfo', headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('answers the profile and email claims of an openid token, by GET and POST', async () => {
      const token = (await tokenRequest(t.app, { ...alice, scope: 'openid profile email' })).json()
        .access_token;
      for (const method of ['GET', 'POST'] as const) {
        const res = await userinfo(token, method);
        assert.equal(res.statusCode, 200);
        const body = res.json();
        assert.equal(body.sub, ALICE.id);
        assert.equal(body.name, 'Alice Example');
        assert.equal(body.nickname, 'alice');
        assert.equal(body.email, ALICE.email);
        assert.equal(body.email_verified, true);
        assert.equal(typeof body.updated_at, 'string');
      }
    });

    it('answers 401 with WWW-Authenticate: Bearer without a token', async () => {
      const res = await userinfo();
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(res.json(), { error: 'invalid_request', error_description: 'Missing access token' });
    });

    it('answers 401 invalid_token for a forged, malformed or expired token', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await new SignJWT({
        sub: ALICE.id,
        scope: 'openid',
        aud: `${ISSUER}userinfo`,
        iss: ISSUER,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'made-up' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
      const good = (await tokenRequest(t.app, { ...alice, scope: 'openid' })).json().access_token;
      const tampered = good.replace(/\.[^.]+\./, (m: string) =>
        m.replace(/.$/, m.at(-2) === 'A' ? 'B.' : 'A.'),
      );
      for (const token of [forged, 'not-a-jwt', tampered]) {
        const res = await userinfo(token);
        assert.equal(res.statusCode, 401, token);
        assert.equal(res.json().error, 'invalid_token');
        assert.match(String(res.headers['www-authenticate']), /^Bearer error="invalid_token"/);
      }
      t.clock.advance(7201 * 1000);
      try {
        const expired = await userinfo(good);
        assert.equal(expired.statusCode, 401);
        assert.equal(expired.json().error, 'invalid_token');
      } finally {
        t.clock.advance(-7201 * 1000);
      }
    });

    it('refuses an API token granted without openid', async () => {
      const token = (await tokenRequest(t.app, { ...alice, scope: 'read:orders' })).json().access_token;
      const res = await userinfo(token);
      // An API token without openid has no userinfo audience at all.
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error, 'invalid_token');
    });

    it('answers 401 once the user is deleted', async () => {
      await addUser(t.rt, {
        user_id: 'auth0|gone',
        connection_id: 'con_default',
        email: 'gone@acme.test',
        password: 'gone-pw-123',
      });
      const token = (
        await tokenRequest(t.app, {
          ...alice,
          username: 'gone@acme.test',
          password: 'gone-pw-123',
          scope: 'openid',
        })
      ).json().access_token;
      await deleteUser(t.rt.store.db, 'auth0|gone');
      const res = await userinfo(token);
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error, 'invalid_token');
    });

    it('publishes the discovery document under the issuer', async () => {
      const res = await t.app.inject({ url: '/.well-known/openid-configuration' });
      assert.equal(res.statusCode, 200);
      const d = res.json();
      assert.equal(d.issuer, ISSUER);
      assert.equal(d.token_endpoint, `${ISSUER}oauth/token`);
      assert.equal(d.userinfo_endpoint, `${ISSUER}userinfo`);
      assert.equal(d.jwks_uri, `${ISSUER}.well-known/jwks.json`);
      assert.equal(d.revocation_endpoint, `${ISSUER}oauth/revoke`);
      assert.equal(d.mfa_challenge_endpoint, `${ISSUER}mfa/challenge`);
      assert.deepEqual(d.subject_types_supported, ['public']);
      assert.equal(d.introspection_endpoint, `${ISSUER}oauth/introspect`);
      assert.deepEqual(d.grant_types_supported, [
        'password',
        'http://auth0.com/oauth/grant-type/password-realm',
        'refresh_token',
        'client_credentials',
        'http://auth0.com/oauth/grant-type/mfa-otp',
        'http://auth0.com/oauth/grant-type/mfa-oob',
        'http://auth0.com/oauth/grant-type/mfa-recovery-code',
      ]);
      assert.ok(d.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
      assert.ok(d.id_token_signing_alg_values_supported.includes('RS256'));
      assert.ok(d.claims_supported.includes('email'));
      assert.ok(d.scopes_supported.includes('openid'));
    });

    it('publishes RSA signing keys in the JWKS, without private parts', async () => {
      const res = await t.app.inject({ url: '/.well-known/jwks.json' });
      assert.equal(res.statusCode, 200);
      const { keys } = res.json();
      assert.equal(keys.length, 1);
      const [k] = keys;
      assert.equal(k.kty, 'RSA');
      assert.equal(k.alg, 'RS256');
      assert.equal(k.use, 'sig');
      assert.ok(k.kid && k.n && k.e);
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[priv], undefined);
    });
  });
}
