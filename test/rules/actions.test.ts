import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { ACTION_INPUT_SHAPE } from '../../src/rules/inputs.js';
import { listEvents } from '../../src/store/repos/events.js';
import { ALICE, API, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import {
  action,
  addRefreshClient,
  alice,
  captureLogs,
  login,
  NS,
  refresh,
  refreshToken,
  rule,
  setScripts,
} from './helpers.js';

for (const kind of storeKinds) {
  describe(`post-login actions (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await addRefreshClient(t);
    });
    after(() => t.close());
    beforeEach(() => setScripts(t, {}));

    it('sets custom claims on both tokens, ignoring reserved ones', async () => {
      const logs = captureLogs(t);
      await setScripts(t, {
        actions: [
          action(
            'claims',
            `api.accessToken.setCustomClaim('${NS}roles', ['admin']);
             api.accessToken.setCustomClaim('gty', 'forged');
             api.idToken.setCustomClaim('${NS}team', 'blue');
             api.idToken.setCustomClaim('iss', 'https://evil.test/');`,
          ),
        ],
      });
      const { access, id } = await login(t, { scope: 'openid' });
      assert.deepEqual(access[`${NS}roles`], ['admin']);
      assert.equal(access.gty, 'password');
      assert.equal(id![`${NS}team`], 'blue');
      assert.equal(id!.iss, 'https://tessera.test/');
      assert.deepEqual(
        logs.map((l) => `${l.obj.script} ${l.obj.token}:${l.obj.claim}`),
        ['Action "claims" access:gty', 'Action "claims" id:iss'],
      );
    });

    it('adds and removes scopes', async () => {
      await setScripts(t, {
        actions: [
          action(
            'scopes',
            `api.accessToken.addScope('read:reports'); api.accessToken.removeScope('write:orders');`,
          ),
        ],
      });
      const { body, access } = await login(t, { scope: 'read:orders write:orders' });
      assert.equal(body.scope, 'read:orders read:reports');
      assert.equal(access.scope, 'read:orders read:reports');
    });

    it('issues no refresh token when offline_access is removed', async () => {
      await setScripts(t, { actions: [action('offline', `api.accessToken.removeScope('offline_access');`)] });
      const { body } = await login(t, { client_id: 'refresher', scope: 'openid offline_access read:orders' });
      assert.equal(body.refresh_token, undefined);
      assert.equal(body.scope, 'openid read:orders');
    });

    it('answers 403 access_denied with the reason of api.access.deny, and audits it', async () => {
      await setScripts(t, {
        actions: [
          action(
            'deny',
            `if (event.secrets.MODE === 'closed') api.access.deny('Logins are closed: write to ' + event.secrets.SUPPORT);`,
            { MODE: 'closed', SUPPORT: 'help@acme.test' },
          ),
        ],
      });
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'access_denied',
        error_description: 'Logins are closed: write to help@acme.test',
      });
      const [event] = await listEvents(t.rt.store.db, { limit: 1 });
      assert.equal(event!.type, 'fepft');
      assert.equal(event!.description, 'Logins are closed: write to help@acme.test');
    });

    it('refuses api.redirect.sendUserTo with interaction_required', async () => {
      await setScripts(t, {
        actions: [action('profile', `api.redirect.sendUserTo('https://acme.test/complete-profile');`)],
      });
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'interaction_required',
        error_description:
          'Action "profile" asked to redirect the user to https://acme.test/complete-profile, but redirects are not possible in the Resource Owner Password flow',
      });
    });

    it('refuses api.multifactor.enable on refresh', async () => {
      const token = await refreshToken(t);
      await setScripts(t, {
        actions: [action('mfa', `api.multifactor.enable('any', { allowRememberBrowser: true });`)],
      });
      const res = await refresh(t, token);
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'access_denied',
        error_description:
          'Multifactor authentication was requested by a rule but MFA is not configured on this server',
      });
    });

    it('runs after the rules, in order, disabled ones skipped', async () => {
      await setScripts(t, {
        rules: [rule('r', `context.accessToken['${NS}by'] = 'rule'; callback(null, user, context);`)],
        actions: [
          { ...action('b', `api.accessToken.setCustomClaim('${NS}by', 'b');`), order: 2 },
          { ...action('a', `api.accessToken.setCustomClaim('${NS}by', 'a');`), order: 1 },
          { ...action('c', `api.accessToken.setCustomClaim('${NS}by', 'c');`), order: 3, enabled: false },
        ],
      });
      assert.equal((await login(t)).access[`${NS}by`], 'b');
    });

    it('gives the event of spec section 4 with the secrets, never the password', async () => {
      await setScripts(t, {
        actions: [
          action(
            'dump',
            `await new Promise((resolve) => setTimeout(resolve, 5));
             api.accessToken.setCustomClaim('${NS}event', JSON.stringify(event));`,
            { API_KEY: 'k-123' },
          ),
        ],
      });
      const { access } = await login(t, { scope: 'openid read:orders' });
      const raw = access[`${NS}event`] as string;
      assert.ok(!raw.includes(ALICE.password));
      assert.ok(!raw.includes(SECRET));
      const event = JSON.parse(raw);
      assert.deepEqual(event.client, { client_id: 'acme-web', name: 'Acme Web', metadata: {} });
      assert.deepEqual(event.connection, {
        id: 'con_default',
        name: 'Username-Password-Authentication',
        strategy: 'auth0',
        metadata: {},
      });
      assert.equal(event.request.ip, '127.0.0.1');
      assert.deepEqual(event.request.body, {
        grant_type: 'password',
        username: ALICE.email,
        client_id: 'acme-web',
        scope: 'openid read:orders',
      });
      assert.deepEqual(event.tenant, { id: 'Acme' });
      assert.equal(event.stats.logins_count, event.user.logins_count);
      assert.equal(event.user.user_id, ALICE.id);
      assert.deepEqual(event.transaction, {
        protocol: 'oauth2-password',
        requested_scopes: ['openid', 'read:orders'],
      });
      assert.deepEqual(event.resource_server, { identifier: API });
      assert.deepEqual(event.secrets, { API_KEY: 'k-123' });
      // The prelude's warm-up input has the same keys in the same order (inputs.ts).
      assert.deepEqual(Object.keys(event), Object.keys(ACTION_INPUT_SHAPE.event));
      for (const k of ['client', 'connection', 'request', 'transaction'] as const) {
        assert.deepEqual(Object.keys(event[k]), Object.keys(ACTION_INPUT_SHAPE.event[k]), k);
      }
    });

    it('sees transaction.protocol oauth2-refresh-token on refresh', async () => {
      const token = await refreshToken(t);
      await setScripts(t, {
        actions: [
          action('protocol', `api.accessToken.setCustomClaim('${NS}protocol', event.transaction.protocol);`),
        ],
      });
      const res = await refresh(t, token);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(decodeJwt(res.json().access_token)[`${NS}protocol`], 'oauth2-refresh-token');
    });

    it('fails closed with a generic access_denied when an action throws or exports no handler', async () => {
      const logs = captureLogs(t);
      for (const code of [
        `exports.onExecutePostLogin = async () => { throw new Error('boom /secret/path'); };`,
        `exports.somethingElse = 1;`,
      ]) {
        await setScripts(t, { actions: [{ name: 'broken', code }] });
        const res = await tokenRequest(t.app, alice);
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), {
          error: 'access_denied',
          error_description: 'The login was refused because a rule or action failed.',
        });
      }
      const errors = logs.filter((l) => l.level === 'error').map((l) => `${l.obj.script}: ${l.obj.reason}`);
      assert.deepEqual(errors, [
        'Action "broken": Error: boom /secret/path',
        'Action "broken": it does not export onExecutePostLogin',
      ]);
    });
  });
}
