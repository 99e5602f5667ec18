import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { loadConfig } from '../../src/config/config.js';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { signJwt } from '../../src/tokens/tokens.js';
import { type Runtime, createRuntime } from '../../src/runtime.js';
import { buildServer } from '../../src/server.js';
import { ClusterClock, databaseNow } from '../../src/store/clock.js';
import type { Store } from '../../src/store/db.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import {
  ALICE,
  API,
  ISSUER,
  SECRET,
  TestClock,
  seedTenant,
  silentLogger,
  tokenRequest,
} from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const HOUR = 3_600_000;
const INVALID = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' };

interface Node {
  rt: Runtime;
  app: FastifyInstance;
}

/**
 * One Tessera node on a shared store. `dbNow` is the database's clock (here
 * the shared test clock); without it the node trusts its own clock alone,
 * as a node that cannot read the database's clock would.
 */
async function node(store: Store, now: () => number, dbNow?: () => Promise<number>): Promise<Node> {
  const config = loadConfig({
    TESSERA_ISSUER: ISSUER,
    TESSERA_SECRET: 'test-secret-test-secret-test-secret-0123',
  });
  const rt = await createRuntime(config, { store, now, dbNow, log: silentLogger() });
  return { rt, app: await buildServer(rt, { logger: false }) };
}

for (const kind of storeKinds) {
  describe(`the database's clock (${kind.name})`, () => {
    it("reads the database's time, and corrects a node's clock an hour ahead by it", async () => {
      const store = await kind.open();
      try {
        const db = await databaseNow(store);
        assert.ok(Math.abs(db - Date.now()) < 2000, `database time ${db}, Date.now ${Date.now()}`);
        const clock = new ClusterClock(
          () => Date.now() + HOUR,
          () => databaseNow(store),
        );
        await clock.sync();
        assert.ok(Math.abs(clock.now() - Date.now()) < 2000);
        assert.ok(Math.abs(clock.skewMs - HOUR) < 2000);
      } finally {
        await store.close();
      }
    });
  });

  describe(`clock skew between nodes (${kind.name})`, () => {
    const clock = new TestClock();
    const dbNow = async () => clock.t;
    let store: Store;
    let ahead: Node; // its clock is an hour ahead; it reads the time from the database
    let a: Node; // on time
    let stray: Node; // an hour ahead and trusting its own clock
    before(async () => {
      store = await kind.open();
      // The node an hour ahead starts first, on an empty database: it creates the signing key.
      ahead = await node(store, () => clock.t + HOUR, dbNow);
      a = await node(store, clock.now, dbNow);
      await seedTenant(a.rt);
      const leeway = {
        client_id: 'leeway',
        name: 'leeway',
        token_endpoint_auth_method: 'client_secret_post' as const,
        grant_types: ['password', 'refresh_token'],
        refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', leeway: 10 },
      };
      await upsertClient(store.db, leeway, hashClientSecret(SECRET), clock.t);
      await upsertConnection(
        store.db,
        {
          id: 'con_default',
          name: 'Username-Password-Authentication',
          strategy: 'auth0',
          enabled_clients: ['acme-web', 'leeway'],
        },
        clock.t,
      );
      stray = await node(store, () => clock.t + HOUR);
    });
    after(async () => {
      for (const n of [ahead, a, stray]) await n?.app.close();
      await store.close();
    });

    const login = async (app: FastifyInstance) => {
      const res = await tokenRequest(app, {
        grant_type: 'password',
        username: ALICE.email,
        password: ALICE.password,
        client_id: 'leeway',
        client_secret: SECRET,
        scope: 'openid offline_access read:orders',
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    };
    const refresh = (app: FastifyInstance, token: string) =>
      tokenRequest(app, {
        grant_type: 'refresh_token',
        client_id: 'leeway',
        client_secret: SECRET,
        refresh_token: token,
      });
    const userinfo = (app: FastifyInstance, token: string) =>
      app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${token}` } });

    it('a key created by the node an hour ahead signs on every node at once', async () => {
      const body = await login(a.app);
      assert.ok(body.access_token);
      const iat = decodeJwt(body.access_token).iat!;
      assert.equal(iat, Math.floor(clock.t / 1000));
      assert.equal(decodeJwt((await login(ahead.app)).access_token).iat, iat, 'the same time on both nodes');
    });

    it('a rotation on the node ahead does not disable reuse detection on the others', async () => {
      const first = (await login(a.app)).refresh_token;
      const second = await refresh(ahead.app, first);
      assert.equal(second.statusCode, 200, second.body);
      clock.advance(31_000); // past the retry window and the leeway (10 s)
      assert.deepEqual((await refresh(a.app, first)).json(), INVALID, 'reuse');
      assert.deepEqual((await refresh(a.app, second.json().refresh_token)).json(), INVALID, 'family revoked');
    });

    it('a rotated_at written an hour ahead (a stray clock) counts as reuse, not as within the leeway', async () => {
      const first = (await login(a.app)).refresh_token;
      const second = await refresh(stray.app, first);
      assert.equal(second.statusCode, 200, second.body);
      clock.advance(31_000);
      assert.deepEqual((await refresh(a.app, first)).json(), INVALID);
      assert.deepEqual((await refresh(a.app, second.json().refresh_token)).json(), INVALID);
    });

    it('a refresh token issued an hour ahead is refused', async () => {
      const token = (await login(stray.app)).refresh_token;
      assert.deepEqual((await refresh(a.app, token)).json(), INVALID);
    });

    it('refuses access tokens with iat or nbf beyond the skew at /userinfo, introspection and the MFA API', async () => {
      const now = Math.floor(clock.t / 1000);
      const token = (claims: Record<string, unknown>, aud = `${ISSUER}userinfo`) =>
        signJwt(a.rt, {
          iss: ISSUER,
          sub: ALICE.id,
          aud,
          iat: now,
          exp: now + 7200,
          scope: 'openid read:authenticators',
          azp: 'acme-web',
          gty: 'password',
          ...claims,
        });
      const future = { iat: now + 3600, exp: now + 3600 + 7200 };
      const bad = { error: 'invalid_token', error_description: 'Invalid or expired access token' };

      assert.equal((await userinfo(a.app, await token({ iat: now + 30 }))).statusCode, 200, 'within 60 s');
      assert.equal((await userinfo(a.app, await token({ nbf: now + 30 }))).statusCode, 200, 'within 60 s');
      for (const claims of [future, { nbf: now + 3600 }]) {
        const res = await userinfo(a.app, await token(claims));
        assert.equal(res.statusCode, 401);
        assert.deepEqual(res.json(), bad);
      }
      // The node an hour ahead issues tokens in the database's time: accepted everywhere.
      assert.equal((await userinfo(a.app, (await login(ahead.app)).access_token)).statusCode, 200);
      // A node trusting its own clock an hour ahead: refused.
      assert.equal((await userinfo(a.app, (await login(stray.app)).access_token)).statusCode, 401);

      const introspect = (tk: string) =>
        a.app.inject({
          method: 'POST',
          url: '/oauth/introspect',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            token: tk,
            client_id: 'acme-web',
            client_secret: SECRET,
          }).toString(),
        });
      assert.equal((await introspect(await token({}, API))).json().active, true);
      assert.deepEqual((await introspect(await token(future, API))).json(), { active: false });

      const mfa = await a.app.inject({
        method: 'GET',
        url: '/mfa/authenticators',
        headers: { authorization: `Bearer ${await token(future, `${ISSUER}mfa/`)}` },
      });
      assert.equal(mfa.statusCode, 401);
      assert.deepEqual(mfa.json(), bad);
      const ok = await a.app.inject({
        method: 'GET',
        url: '/mfa/authenticators',
        headers: { authorization: `Bearer ${await token({}, `${ISSUER}mfa/`)}` },
      });
      assert.equal(ok.statusCode, 200, ok.body);
    });
  });
}
