import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { upsertResourceServer } from '../../src/store/repos/resource-servers.js';
import { putSetting } from '../../src/store/repos/settings.js';
import {
  ALICE,
  API,
  ISSUER,
  SECRET,
  startTestApp,
  type TestApp,
  tokenRequest,
  ALICE_LOGIN,
} from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const alice = ALICE_LOGIN;

for (const kind of storeKinds) {
  describe(`password grant: success (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    it('answers 200 with an access token for the default audience, no-store, Auth0 field order', async () => {
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers.pragma, 'no-cache');
      const body = res.json();
      assert.deepEqual(Object.keys(body), ['access_token', 'scope', 'expires_in', 'token_type']);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 7200);
      // No scope was requested: the API's scopes are granted, so `scope` is echoed.
      assert.equal(body.scope, 'read:orders write:orders');
      const header = decodeProtectedHeader(body.access_token);
      assert.equal(header.alg, 'RS256');
      assert.equal(header.typ, 'JWT');
      assert.ok(header.kid);
      const claims = decodeJwt(body.access_token);
      const iat = Math.floor(t.clock.t / 1000);
      assert.deepEqual(claims, {
        iss: ISSUER,
        sub: ALICE.id,
        aud: API,
        iat,
        exp: iat + 7200,
        scope: 'read:orders write:orders',
        gty: 'password',
        azp: 'acme-web',
      });
    });

    it('signs with a key published in the JWKS', async () => {
      const res = await tokenRequest(t.app, { ...alice, scope: 'openid' });
      const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json();
      const { payload } = await jwtVerify(res.json().access_token, createLocalJWKSet(jwks), {
        issuer: ISSUER,
        audience: API,
        currentDate: new Date(t.clock.t),
      });
      assert.equal(payload.sub, ALICE.id);
    });

    it('expands openid alone, adds the userinfo audience and issues an ID token', async () => {
      const res = await tokenRequest(t.app, { ...alice, scope: 'openid' });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.deepEqual(Object.keys(body), ['access_token', 'id_token', 'scope', 'expires_in', 'token_type']);
      assert.equal(body.scope, 'openid profile email address phone read:orders write:orders');
      const access = decodeJwt(body.access_token);
      assert.deepEqual(access.aud, [API, `${ISSUER}userinfo`]);
      const id = decodeJwt(body.id_token);
      const iat = Math.floor(t.clock.t / 1000);
      assert.equal(id.iss, ISSUER);
      assert.equal(id.sub, ALICE.id);
      assert.equal(id.aud, 'acme-web');
      assert.equal(id.iat, iat);
      assert.equal(id.exp, iat + 36000);
      assert.equal(id.name, 'Alice Example');
      assert.equal(id.nickname, 'alice');
      assert.equal(id.email, ALICE.email);
      assert.equal(id.email_verified, true);
      assert.equal(typeof id.updated_at, 'string');
    });

    it('releases only the claims of the granted scopes in the ID token', async () => {
      const res = await tokenRequest(t.app, { ...alice, scope: 'openid email read:orders' });
      const body = res.json();
      assert.equal(body.scope, undefined, 'scope is not echoed when granted equals requested');
      const id = decodeJwt(body.id_token);
      assert.equal(id.email, ALICE.email);
      assert.equal(id.name, undefined);
      assert.equal(id.nickname, undefined);
      assert.equal(decodeJwt(body.access_token).scope, 'openid email read:orders');
    });

    it('drops unknown scopes, and offline_access for a client without the refresh_token grant', async () => {
      const res = await tokenRequest(t.app, {
        ...alice,
        scope: 'openid offline_access read:orders delete:everything',
      });
      assert.equal(res.json().scope, 'openid read:orders');
    });

    it('accepts a JSON body and a form body with a charset', async () => {
      const json = await t.app.inject({ method: 'POST', url: '/oauth/token', payload: alice });
      assert.equal(json.statusCode, 200);
      const form = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        payload: new URLSearchParams(alice).toString(),
      });
      assert.equal(form.statusCode, 200);
    });

    it('authenticates with client_secret_basic, form-encoded credentials', async () => {
      const { client_id: _id, client_secret: _s, ...rest } = alice;
      const basic = Buffer.from(`acme-basic:${encodeURIComponent(SECRET)}`).toString('base64');
      const res = await tokenRequest(t.app, rest, { authorization: `Basic ${basic}` });
      assert.equal(res.statusCode, 200);
      assert.equal(decodeJwt(res.json().access_token).azp, 'acme-basic');
    });

    it('lets a public client (auth method none) log in without a secret', async () => {
      const { client_secret: _s, ...rest } = alice;
      const res = await tokenRequest(t.app, { ...rest, client_id: 'acme-spa' });
      assert.equal(res.statusCode, 200);
    });

    it('matches the username case-insensitively', async () => {
      const res = await tokenRequest(t.app, { ...alice, username: 'ALICE@Acme.Test' });
      assert.equal(res.statusCode, 200);
    });

    it('issues a token for an explicit audience', async () => {
      await upsertResourceServer(
        t.rt.store.db,
        { id: 'rs_other', identifier: 'urn:other', scopes: [{ value: 'x' }], token_lifetime: 60 },
        t.rt.now(),
      );
      const res = await tokenRequest(t.app, { ...alice, audience: 'urn:other' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().expires_in, 60);
      assert.equal(decodeJwt(res.json().access_token).aud, 'urn:other');
    });

    it('without any audience issues a token good for /userinfo only', async () => {
      await putSetting(t.rt.store.db, 'tenant', { default_directory: 'Username-Password-Authentication' });
      try {
        const res = await tokenRequest(t.app, { ...alice, scope: 'openid email' });
        assert.equal(res.statusCode, 200);
        const access = decodeJwt(res.json().access_token);
        assert.equal(access.aud, `${ISSUER}userinfo`);
        assert.equal(access.scope, 'openid email');
        assert.equal(res.json().expires_in, 86400);
        const info = await t.app.inject({
          url: '/userinfo',
          headers: { authorization: `Bearer ${res.json().access_token}` },
        });
        assert.equal(info.statusCode, 200);
        assert.deepEqual(info.json(), { sub: ALICE.id, email: ALICE.email, email_verified: true });
      } finally {
        await putSetting(t.rt.store.db, 'tenant', {
          default_directory: 'Username-Password-Authentication',
          default_audience: API,
        });
      }
    });

    it('sets the security headers on every answer', async () => {
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
    });
  });
}
