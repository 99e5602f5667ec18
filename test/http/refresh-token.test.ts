import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { type Client, upsertClient } from '../../src/store/repos/clients.js';
import { listEvents } from '../../src/store/repos/events.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { deleteUser } from '../../src/store/repos/users.js';
import { ALICE, API, SECRET, addUser, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const INVALID = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' };

function client(id: string, refresh: Client['refresh_token']): Client {
  return {
    client_id: id,
    name: id,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['password', 'refresh_token'],
    refresh_token: refresh,
  };
}

for (const kind of storeKinds) {
  describe(`refresh tokens (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      const now = t.rt.now();
      const clients = [
        client('rotating', {
          rotation_type: 'rotating',
          expiration_type: 'expiring',
          leeway: 0,
          token_lifetime: 3600,
          idle_token_lifetime: 600,
        }),
        client('leeway', { rotation_type: 'rotating', expiration_type: 'expiring', leeway: 60 }),
        client('static', {
          rotation_type: 'non-rotating',
          expiration_type: 'expiring',
          token_lifetime: 3600,
          idle_token_lifetime: 600,
        }),
        client('forever', { rotation_type: 'non-rotating', expiration_type: 'non-expiring' }),
      ];
      for (const c of clients) await upsertClient(t.rt.store.db, c, hashClientSecret(SECRET), now);
      await upsertConnection(
        t.rt.store.db,
        {
          id: 'con_default',
          name: 'Username-Password-Authentication',
          strategy: 'auth0',
          enabled_clients: [
            'acme-web',
            'acme-basic',
            'acme-spa',
            'acme-nopw',
            ...clients.map((c) => c.client_id),
          ],
        },
        now,
      );
    });
    after(() => t.close());

    async function login(
      clientId: string,
      scope = 'openid offline_access read:orders',
      username = ALICE.email,
      password = ALICE.password,
    ) {
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        username,
        password,
        client_id: clientId,
        client_secret: SECRET,
        scope,
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    }
    const refresh = (clientId: string, token: string, extra: Record<string, string> = {}) =>
      tokenRequest(t.app, {
        grant_type: 'refresh_token',
        client_id: clientId,
        client_secret: SECRET,
        refresh_token: token,
        ...extra,
      });

    it('issues an opaque refresh token for offline_access, stored only as a hash', async () => {
      const body = await login('rotating');
      assert.deepEqual(Object.keys(body), [
        'access_token',
        'id_token',
        'refresh_token',
        'expires_in',
        'token_type',
      ]);
      assert.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/);
      const rows = await t.rt.store.db.selectFrom('refresh_tokens').selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(body.refresh_token));
    });

    it('issues none when the client lacks the grant or the API refuses offline access', async () => {
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        username: ALICE.email,
        password: ALICE.password,
        client_id: 'acme-web',
        client_secret: SECRET,
        scope: 'openid offline_access read:orders',
      });
      assert.equal(res.json().refresh_token, undefined);
      assert.equal(res.json().scope, 'openid read:orders');
      const { upsertResourceServer, findResourceServer } = await import(
        '../../src/store/repos/resource-servers.js'
      );
      const api = (await findResourceServer(t.rt.store.db, API))!;
      await upsertResourceServer(t.rt.store.db, { ...api, allow_offline_access: false }, t.rt.now());
      try {
        const body = await login('rotating');
        assert.equal(body.refresh_token, undefined);
        assert.equal(body.scope, 'openid read:orders');
      } finally {
        await upsertResourceServer(t.rt.store.db, api, t.rt.now());
      }
    });

    it('exchanges a refresh token: a new token of the family, gty refresh_token+password, an ID token', async () => {
      const first = await login('rotating');
      const res = await refresh('rotating', first.refresh_token);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json();
      assert.deepEqual(Object.keys(body), [
        'access_token',
        'id_token',
        'refresh_token',
        'scope',
        'expires_in',
        'token_type',
      ]);
      assert.notEqual(body.refresh_token, first.refresh_token);
      assert.equal(body.scope, 'openid offline_access read:orders');
      const access = decodeJwt(body.access_token);
      assert.deepEqual(access.gty, ['refresh_token', 'password']);
      assert.equal(access.sub, ALICE.id);
      assert.equal(access.scope, 'openid offline_access read:orders');
      assert.equal(decodeJwt(body.id_token).aud, 'rotating');
      const e = (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;
      assert.equal(e.type, 'sertft');
      assert.equal(e.user_id, ALICE.id);
    });

    it('narrows the scope but never widens it', async () => {
      const first = await login('rotating');
      const narrow = await refresh('rotating', first.refresh_token, { scope: 'read:orders' });
      assert.equal(narrow.statusCode, 200);
      assert.equal(decodeJwt(narrow.json().access_token).scope, 'read:orders');
      assert.equal(narrow.json().id_token, undefined);
      const wide = await refresh('rotating', narrow.json().refresh_token, {
        scope: 'read:orders write:orders',
      });
      assert.equal(wide.statusCode, 400);
      assert.deepEqual(wide.json(), {
        error: 'invalid_scope',
        error_description: 'The scope "write:orders" was not granted to this refresh token',
      });
    });

    it('detects reuse of a rotated token and revokes the whole family', async () => {
      const a = (await login('rotating')).refresh_token;
      const b = (await refresh('rotating', a)).json().refresh_token;
      // Within the retry window (30 s) an exact retry gets b again: see refresh-retry.test.ts.
      t.clock.advance(31_000);
      const reuse = await refresh('rotating', a);
      assert.equal(reuse.statusCode, 403);
      assert.deepEqual(reuse.json(), INVALID);
      const e = (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;
      assert.equal(e.type, 'fertft');
      assert.equal(e.user_id, ALICE.id);
      assert.equal((e.details as { reason: string }).reason, 'reuse_detected');
      const dead = await refresh('rotating', b);
      assert.equal(dead.statusCode, 403);
      assert.deepEqual(dead.json(), INVALID);
    });

    it('within the leeway lets only the immediately previous token be exchanged again', async () => {
      const a = (await login('leeway')).refresh_token;
      const b = (await refresh('leeway', a)).json().refresh_token;
      // Past the retry window (which would answer b again), within the leeway (60 s).
      t.clock.advance(40_000);
      const again = await refresh('leeway', a);
      assert.equal(again.statusCode, 200);
      const c = again.json().refresh_token;
      assert.notEqual(c, b);
      assert.deepEqual((await refresh('leeway', b)).json(), INVALID, 'the superseded successor is dead');
      const d = (await refresh('leeway', c)).json().refresh_token;
      assert.ok(d);
      t.clock.advance(61_000);
      assert.deepEqual((await refresh('leeway', c)).json(), INVALID, 'outside the leeway it is reuse');
      assert.deepEqual((await refresh('leeway', d)).json(), INVALID, 'and the family is gone');
    });

    it('keeps a non-rotating token and slides its idle expiry', async () => {
      const a = (await login('static')).refresh_token;
      for (let i = 0; i < 3; i++) {
        t.clock.advance(500_000);
        const res = await refresh('static', a);
        assert.equal(res.statusCode, 200);
        assert.equal(res.json().refresh_token, undefined);
      }
      t.clock.advance(601_000);
      assert.deepEqual((await refresh('static', a)).json(), INVALID, 'idle too long');
    });

    it('ends a family at its absolute lifetime, counted from the first login', async () => {
      let token = (await login('rotating')).refresh_token;
      for (let i = 0; i < 7; i++) {
        t.clock.advance(500_000);
        const res = await refresh('rotating', token);
        assert.equal(res.statusCode, 200, `exchange ${i}`);
        token = res.json().refresh_token;
      }
      t.clock.advance(200_000);
      assert.deepEqual((await refresh('rotating', token)).json(), INVALID);
    });

    it('lets a non-expiring token live on', async () => {
      const a = (await login('forever')).refresh_token;
      t.clock.advance(400 * 86_400_000);
      assert.equal((await refresh('forever', a)).statusCode, 200);
    });

    it("refuses another client and garbage alike, a blocked or deleted user with Auth0's texts", async () => {
      const a = (await login('rotating')).refresh_token;
      assert.deepEqual((await refresh('static', a)).json(), INVALID);
      assert.deepEqual((await refresh('rotating', 'garbage')).json(), INVALID);
      await addUser(t.rt, {
        user_id: 'auth0|carol',
        connection_id: 'con_default',
        email: 'carol@acme.test',
        password: 'carol-pw-123',
      });
      const c = (await login('rotating', 'offline_access', 'carol@acme.test', 'carol-pw-123')).refresh_token;
      await addUser(t.rt, {
        user_id: 'auth0|carol',
        connection_id: 'con_default',
        email: 'carol@acme.test',
        password: 'carol-pw-123',
        blocked: true,
      });
      const blocked = await refresh('rotating', c);
      assert.equal(blocked.statusCode, 403);
      assert.deepEqual(blocked.json(), { error: 'invalid_grant', error_description: 'user is blocked' });
      await deleteUser(t.rt.store.db, 'auth0|carol');
      const deleted = await refresh('rotating', c);
      assert.equal(deleted.statusCode, 403);
      assert.deepEqual(deleted.json(), {
        error: 'invalid_grant',
        error_description: "The refresh_token was generated for a user who doesn't exist anymore.",
      });
      const missing = await tokenRequest(t.app, {
        grant_type: 'refresh_token',
        client_id: 'rotating',
        client_secret: SECRET,
      });
      assert.deepEqual(missing.json(), {
        error: 'invalid_request',
        error_description: 'Missing required parameter: refresh_token',
      });
    });

    it('lets exactly one of many concurrent exchanges of one token rotate it', async () => {
      for (const clientId of ['rotating', 'static']) {
        const a = (await login(clientId)).refresh_token;
        const results = await Promise.all(Array.from({ length: 8 }, () => refresh(clientId, a)));
        const ok = results.filter((r) => r.statusCode === 200).length;
        if (clientId === 'rotating') {
          // One rotation; the others are retries within the retry window and get the same successor.
          assert.equal(ok, 8, `statuses: ${results.map((r) => r.statusCode)}`);
          const successors = new Set(results.map((r) => r.json().refresh_token));
          assert.equal(successors.size, 1);
          const winner = [...successors][0]!;
          assert.equal((await refresh(clientId, winner)).statusCode, 200);
        } else {
          assert.equal(ok, 8, 'a non-rotating token may be used concurrently');
        }
      }
    });
  });
}
