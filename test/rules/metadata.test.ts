import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { patchUserMetadata } from '../../src/store/repos/user-metadata.js';
import { findUserById, upsertUser } from '../../src/store/repos/users.js';
import { ALICE, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { action, addRefreshClient, login, refresh, refreshToken, rule, setScripts } from './helpers.js';

for (const kind of storeKinds) {
  describe(`metadata written by rules and actions (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());
    beforeEach(async () => {
      const u = await findUserById(t.rt.store.db, ALICE.id);
      await upsertUser(t.rt.store.db, { ...u!, app_metadata: {}, user_metadata: {} }, t.rt.now());
    });
    const stored = async () => {
      const u = await findUserById(t.rt.store.db, ALICE.id);
      return { app: u!.app_metadata, user: u!.user_metadata };
    };

    it('persists auth0.users.updateAppMetadata / updateUserMetadata, seen by the next login', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'plan',
            `user.app_metadata = user.app_metadata || {};
             const seen = user.app_metadata.plan || 'none';
             user.app_metadata.plan = 'gold';
             context.accessToken['https://acme.test/seen'] = seen;
             auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
               .then(() => auth0.users.updateUserMetadata(user.user_id, { theme: 'dark' }))
               .then(() => callback(null, user, context))
               .catch((e) => callback(e));`,
          ),
        ],
      });
      const first = await login(t);
      assert.equal(first.access['https://acme.test/seen'], 'none');
      assert.deepEqual(await stored(), { app: { plan: 'gold' }, user: { theme: 'dark' } });
      const second = await login(t);
      assert.equal(second.access['https://acme.test/seen'], 'gold');
    });

    it('persists api.user.setAppMetadata / setUserMetadata from actions', async () => {
      await setScripts(t, {
        actions: [
          action('md', `api.user.setAppMetadata('tier', 2); api.user.setUserMetadata('lang', 'fr');`),
        ],
      });
      await login(t);
      assert.deepEqual(await stored(), { app: { tier: 2 }, user: { lang: 'fr' } });
    });

    it('persists what an action sets during a refresh (rules run there too)', async () => {
      await addRefreshClient(t);
      const token = await refreshToken(t);
      await setScripts(t, {
        actions: [action('md', `api.user.setAppMetadata('refreshed', true);`)],
      });
      const res = await refresh(t, token);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(await stored(), { app: { refreshed: true }, user: {} });
    });

    it('writes nothing when a later script fails the login', async () => {
      await setScripts(t, {
        actions: [
          action('md', `api.user.setAppMetadata('tier', 3);`),
          action('deny', `api.access.deny('no');`),
        ],
      });
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        username: ALICE.email,
        password: ALICE.password,
        client_id: 'acme-web',
        client_secret: 'web-secret-0123456789-abcdefghij',
      });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(await stored(), { app: {}, user: {} });
    });

    it('refuses metadata larger than 16 KB, clearly, writing nothing', async () => {
      await setScripts(t, {
        actions: [action('big', `api.user.setUserMetadata('blob', 'x'.repeat(17000));`)],
      });
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        username: ALICE.email,
        password: ALICE.password,
        client_id: 'acme-web',
        client_secret: 'web-secret-0123456789-abcdefghij',
      });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'access_denied',
        error_description:
          "The login was refused because a rule or action made the user's user_metadata larger than 16 KB.",
      });
      assert.deepEqual(await stored(), { app: {}, user: {} });
    });

    it('keeps both keys when two logins write different keys at once', async () => {
      await setScripts(t, {
        actions: [
          action(
            'key',
            `api.user.setAppMetadata(event.request.body.scope === 'openid' ? 'a' : 'b', event.request.body.scope);`,
          ),
        ],
      });
      for (let i = 0; i < 5; i++) {
        await Promise.all([login(t, { scope: 'openid' }), login(t, { scope: 'openid profile' })]);
      }
      assert.deepEqual((await stored()).app, { a: 'openid', b: 'openid profile' });
    });

    it('merges 20 concurrent patches of one user without losing any', async () => {
      const db = t.rt.store.db;
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          patchUserMetadata(db, ALICE.id, { app_metadata: { [`k${i}`]: i } }, 1),
        ),
      );
      assert.equal(Object.keys((await stored()).app).length, 20);
    });
  });
}
