import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { ALICE, SECRET, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { RULE_INPUT_SHAPE } from '../../src/rules/inputs.js';
import { addRefreshClient, login, NS, refresh, refreshToken, rule, setScripts } from './helpers.js';

for (const kind of storeKinds) {
  describe(`rules: what they see (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await addRefreshClient(t);
    });
    after(() => t.close());
    beforeEach(() => setScripts(t, {}));

    it('gives the user and context of spec section 4, never the password or client secret', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'dump',
            `context.accessToken['${NS}dump'] = JSON.stringify({ user, context, globals: Object.getOwnPropertyNames(globalThis) });
             callback(null, user, context);`,
          ),
        ],
      });
      const { access } = await login(t, { scope: 'openid read:orders' });
      const raw = access[`${NS}dump`] as string;
      assert.ok(!raw.includes(ALICE.password));
      assert.ok(!raw.includes(SECRET));
      const { user, context } = JSON.parse(raw);
      assert.deepEqual(context.request.body, {
        grant_type: 'password',
        username: ALICE.email,
        client_id: 'acme-web',
        scope: 'openid read:orders',
      });
      assert.equal(context.request.ip, '127.0.0.1');
      assert.equal(context.request.hostname, 'localhost');
      assert.deepEqual(context.request.query, {});
      const { request: _r, ...rest } = context;
      assert.deepEqual(rest, {
        tenant: 'Acme',
        clientID: 'acme-web',
        clientName: 'Acme Web',
        clientMetadata: {},
        connection: 'Username-Password-Authentication',
        connectionID: 'con_default',
        connectionStrategy: 'auth0',
        protocol: 'oauth2-password',
        stats: { loginsCount: user.logins_count },
        accessToken: { scope: ['openid', 'read:orders'] },
        idToken: {},
        authorization: { roles: [] },
      });
      assert.equal(user.user_id, ALICE.id);
      assert.equal(user.email, ALICE.email);
      assert.equal(user.email_verified, true);
      assert.equal(user.name, 'Alice Example');
      assert.equal(user.nickname, 'alice');
      assert.equal(user.blocked, false);
      assert.deepEqual(user.app_metadata, {});
      assert.match(user.created_at, /^\d{4}-\d\d-\d\dT/);
      assert.deepEqual(user.identities, [
        {
          provider: 'auth0',
          user_id: 'alice',
          connection: 'Username-Password-Authentication',
          isSocial: false,
        },
      ]);
      assert.equal(user.password_hash, undefined);
      // The prelude's warm-up input has the same keys in the same order (inputs.ts).
      assert.deepEqual(Object.keys(context), Object.keys(RULE_INPUT_SHAPE.context));
      assert.deepEqual(Object.keys(context.request), Object.keys(RULE_INPUT_SHAPE.context.request));
      // Alice's first login has no last_login yet; every key she has is in the shape, in its order.
      assert.deepEqual(
        Object.keys(user),
        Object.keys(RULE_INPUT_SHAPE.user).filter((k) => k !== 'last_login'),
      );
      assert.deepEqual(Object.keys(user.identities[0]), Object.keys(RULE_INPUT_SHAPE.user.identities[0]));
    });

    it('runs on refresh with protocol oauth2-refresh-token', async () => {
      const token = await refreshToken(t);
      await setScripts(t, {
        rules: [
          rule(
            'protocol',
            `context.accessToken['${NS}protocol'] = context.protocol; callback(null, user, context);`,
          ),
        ],
      });
      const res = await refresh(t, token);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(decodeJwt(res.json().access_token)[`${NS}protocol`], 'oauth2-refresh-token');
      assert.equal((await login(t)).access[`${NS}protocol`], 'oauth2-password');
    });

    it('waits for a callback made later (timers, promises, async functions)', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'timer',
            `setTimeout(() => { context.accessToken['${NS}a'] = 1; callback(null, user, context); }, 30);`,
          ),
          rule(
            'promise',
            `Promise.resolve(2).then((v) => { context.accessToken['${NS}b'] = v; callback(null, user, context); });`,
          ),
          {
            name: 'async',
            script: `async function (user, context, callback) {
              await null;
              context.accessToken['${NS}c'] = 3;
              callback(null, user, context);
            }`,
          },
        ],
      });
      const { access } = await login(t);
      assert.deepEqual([access[`${NS}a`], access[`${NS}b`], access[`${NS}c`]], [1, 2, 3]);
    });
  });
}
