import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { listEvents } from '../../src/store/repos/events.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { ALICE, API, ISSUER, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

for (const kind of storeKinds) {
  describe(`revocation, introspection, client credentials (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      const now = t.rt.now();
      const db = t.rt.store.db;
      for (const id of ['app-a', 'app-b']) {
        await upsertClient(
          db,
          {
            client_id: id,
            name: id,
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['password', 'refresh_token'],
            refresh_token: { rotation_type: 'rotating' },
          },
          hashClientSecret(SECRET),
          now,
        );
      }
      await upsertClient(
        db,
        {
          client_id: 'm2m',
          name: 'Machine',
          app_type: 'non_interactive',
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['client_credentials'],
        },
        hashClientSecret(SECRET),
        now,
      );
      await upsertClient(
        db,
        {
          client_id: 'pub',
          name: 'pub',
          token_endpoint_auth_method: 'none',
          grant_types: ['client_credentials'],
        },
        null,
        now,
      );
      await upsertConnection(
        db,
        {
          id: 'con_default',
          name: 'Username-Password-Authentication',
          strategy: 'auth0',
          enabled_clients: ['acme-web', 'app-a', 'app-b'],
        },
        now,
      );
      await putSetting(db, 'clientGrants', [{ client_id: 'm2m', audience: API, scope: ['read:orders'] }]);
    });
    after(() => t.close());

    const login = async (clientId: string) =>
      (
        await tokenRequest(t.app, {
          grant_type: 'password',
          username: ALICE.email,
          password: ALICE.password,
          client_id: clientId,
          client_secret: SECRET,
          scope: 'openid offline_access',
        })
      ).json();
    const refresh = (clientId: string, token: string) =>
      tokenRequest(t.app, {
        grant_type: 'refresh_token',
        client_id: clientId,
        client_secret: SECRET,
        refresh_token: token,
      });
    const revoke = (payload: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: '/oauth/revoke', payload });
    const introspect = (form: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/introspect',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      });

    it('revokes the whole family: 200 with an empty body, and the token is dead', async () => {
      const a = (await login('app-a')).refresh_token;
      const b = (await refresh('app-a', a)).json().refresh_token;
      const res = await revoke({ client_id: 'app-a', client_secret: SECRET, token: b });
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, '');
      const e = (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;
      assert.equal(e.type, 'srrt');
      assert.equal(e.user_id, ALICE.id);
      assert.equal((await refresh('app-a', b)).statusCode, 403);
    });

    it("answers 200 for unknown tokens and for another client's token, which stays alive", async () => {
      assert.equal(
        (await revoke({ client_id: 'app-a', client_secret: SECRET, token: 'nope' })).statusCode,
        200,
      );
      const a = (await login('app-a')).refresh_token;
      const res = await revoke({ client_id: 'app-b', client_secret: SECRET, token: a });
      assert.equal(res.statusCode, 200);
      assert.equal((await refresh('app-a', a)).statusCode, 200);
    });

    it('refuses a missing token and bad client credentials', async () => {
      const missing = await revoke({ client_id: 'app-a', client_secret: SECRET });
      assert.equal(missing.statusCode, 400);
      assert.deepEqual(missing.json(), {
        error: 'invalid_request',
        error_description: 'Missing required parameter: token',
      });
      const bad = await revoke({ client_id: 'app-a', client_secret: 'wrong', token: 'x' });
      assert.equal(bad.statusCode, 401);
      assert.deepEqual(bad.json(), {
        error: 'invalid_client',
        error_description: 'Client authentication failed',
      });
    });

    it('introspects access and refresh tokens for confidential clients', async () => {
      const tokens = await login('app-a');
      const access = await introspect({
        client_id: 'app-b',
        client_secret: SECRET,
        token: tokens.access_token,
      });
      assert.equal(access.statusCode, 200);
      const a = access.json();
      assert.equal(a.active, true);
      assert.equal(a.token_type, 'access_token');
      assert.equal(a.sub, ALICE.id);
      assert.equal(a.client_id, 'app-a');
      assert.equal(a.iss, ISSUER);
      assert.equal(a.scope, 'openid offline_access read:orders write:orders');
      const r = (
        await introspect({
          client_id: 'app-a',
          client_secret: SECRET,
          token: tokens.refresh_token,
          token_type_hint: 'refresh_token',
        })
      ).json();
      assert.equal(r.active, true);
      assert.equal(r.token_type, 'refresh_token');
      assert.equal(r.sub, ALICE.id);
      assert.equal(r.aud, API);
      assert.deepEqual(
        (await introspect({ client_id: 'app-b', client_secret: SECRET, token: tokens.refresh_token })).json(),
        { active: false },
      );
      await revoke({ client_id: 'app-a', client_secret: SECRET, token: tokens.refresh_token });
      assert.deepEqual(
        (await introspect({ client_id: 'app-a', client_secret: SECRET, token: tokens.refresh_token })).json(),
        { active: false },
      );
      assert.deepEqual(
        (await introspect({ client_id: 'app-a', client_secret: SECRET, token: 'x.y.z' })).json(),
        { active: false },
      );
      t.clock.advance(7201_000);
      assert.deepEqual(
        (await introspect({ client_id: 'app-a', client_secret: SECRET, token: tokens.access_token })).json(),
        { active: false },
      );
      t.clock.advance(-7201_000);
    });

    it('reports an ID token as inactive: only access tokens are active there', async () => {
      const tokens = await login('app-a');
      assert.ok(tokens.id_token);
      for (const hint of [undefined, 'access_token']) {
        const res = await introspect({
          client_id: 'app-a',
          client_secret: SECRET,
          token: tokens.id_token,
          ...(hint ? { token_type_hint: hint } : {}),
        });
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json(), { active: false });
      }
      const userinfo = await t.app.inject({
        method: 'GET',
        url: '/userinfo',
        headers: { authorization: `Bearer ${tokens.id_token}` },
      });
      assert.equal(userinfo.statusCode, 401);
    });

    it('refuses introspection to public clients and bad credentials', async () => {
      for (const form of [
        { client_id: 'acme-spa', token: 'x' } as Record<string, string>,
        { client_id: 'app-a', client_secret: 'no', token: 'x' },
      ]) {
        const res = await introspect(form);
        assert.equal(res.statusCode, 401);
        assert.equal(res.json().error, 'invalid_client');
      }
    });

    const basic = `Basic ${Buffer.from(`m2m:${SECRET}`).toString('base64')}`;
    const cc = (form: Record<string, string>, headers: Record<string, string> = { authorization: basic }) =>
      tokenRequest(t.app, { grant_type: 'client_credentials', ...form }, headers);

    it("client credentials: a token for the client itself, with the client grant's scopes", async () => {
      const res = await cc({ audience: API });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.deepEqual(Object.keys(body), ['access_token', 'scope', 'expires_in', 'token_type']);
      assert.equal(body.scope, 'read:orders');
      const { decodeJwt } = await import('jose');
      const claims = decodeJwt(body.access_token);
      assert.equal(claims.sub, 'm2m@clients');
      assert.equal(claims.gty, 'client-credentials');
      assert.equal(claims.azp, 'm2m');
      assert.equal(claims.aud, API);
      assert.equal((await listEvents(t.rt.store.db, { limit: 1 }))[0]!.type, 'seccft');
    });

    it('client credentials: refuses an API without a client grant, ungranted scopes and public clients', async () => {
      const { upsertResourceServer } = await import('../../src/store/repos/resource-servers.js');
      await upsertResourceServer(t.rt.store.db, { id: 'rs_x', identifier: 'urn:x', scopes: [] }, t.rt.now());
      const none = await cc({ audience: 'urn:x' });
      assert.equal(none.statusCode, 403);
      assert.deepEqual(none.json(), {
        error: 'access_denied',
        error_description:
          'Client is not authorized to access "urn:x". You need to create a "client-grant" associated to this API.',
      });
      const scope = await cc({ audience: API, scope: 'write:orders' });
      assert.equal(scope.statusCode, 403);
      assert.deepEqual(scope.json(), {
        error: 'access_denied',
        error_description: 'Client has not been granted scopes: write:orders',
      });
      assert.equal((await listEvents(t.rt.store.db, { limit: 1 }))[0]!.type, 'feccft');
      const pub = await cc({ audience: API, client_id: 'pub' }, {});
      assert.equal(pub.statusCode, 403);
      assert.equal(pub.json().error, 'unauthorized_client');
      const wrongGrant = await cc({ audience: API, client_id: 'acme-web', client_secret: SECRET }, {});
      assert.deepEqual(wrongGrant.json(), {
        error: 'unauthorized_client',
        error_description: "Grant type 'client_credentials' not allowed for the client.",
      });
    });
  });
}
