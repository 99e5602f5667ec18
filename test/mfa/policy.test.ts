import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { totpAt } from '../../src/mfa/totp.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { findUserById } from '../../src/store/repos/users.js';
import { ALICE, SECRET, addUser, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { NS, action, rule, setScripts } from '../rules/helpers.js';
import { associate, grant, setUpMfa } from './helpers.js';

const login = (t: TestApp, username: string, client = 'mfa-app') =>
  tokenRequest(t.app, {
    grant_type: 'password',
    username,
    password: ALICE.password,
    client_id: client,
    client_secret: SECRET,
    scope: 'openid',
  });

for (const kind of storeKinds) {
  describe(`MFA policy: always, or when a rule or action asks (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await setUpMfa(t, []);
      await addUser(t.rt, {
        user_id: 'auth0|mia',
        connection_id: 'con_default',
        email: 'mia@acme.test',
        password: ALICE.password,
        app_metadata: { mfa: true },
      });
    });
    beforeEach(() => setScripts(t, {}));
    after(() => t.close());

    it('with policies [] and no rule, nobody is asked', async () => {
      assert.equal((await login(t, ALICE.email)).statusCode, 200);
      assert.equal((await login(t, 'mia@acme.test')).statusCode, 200);
    });

    it('a rule setting context.multifactor asks only the users it picks, and its claims survive MFA', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'mfa-for-flagged',
            `context.idToken['${NS}flag'] = 'kept';
             if (user.app_metadata.mfa) context.multifactor = { provider: 'any', allowRememberBrowser: false };
             callback(null, user, context);`,
          ),
        ],
      });
      assert.equal((await login(t, ALICE.email)).statusCode, 200);
      const res = await login(t, 'mia@acme.test');
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error, 'mfa_required');
      const enrolled = (await associate(t, res.json().mfa_token, { authenticator_types: ['otp'] })).json();
      const done = await grant(t, 'otp', {
        mfa_token: res.json().mfa_token,
        otp: totpAt(enrolled.secret, t.clock.t),
      });
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(decodeJwt(done.json().id_token)[`${NS}flag`], 'kept');
    });

    it('writes metadata from actions only once the second factor is verified', async () => {
      await addUser(t.rt, {
        user_id: 'auth0|max',
        connection_id: 'con_default',
        email: 'max@acme.test',
        password: ALICE.password,
      });
      await setScripts(t, {
        actions: [action('md-mfa', `api.user.setAppMetadata('seen', true); api.multifactor.enable('any');`)],
      });
      const res = await login(t, 'max@acme.test');
      assert.equal(res.json().error, 'mfa_required');
      const md = async () => (await findUserById(t.rt.store.db, 'auth0|max'))!.app_metadata;
      assert.deepEqual(await md(), {});
      const enrolled = (await associate(t, res.json().mfa_token, { authenticator_types: ['otp'] })).json();
      const done = await grant(t, 'otp', {
        mfa_token: res.json().mfa_token,
        otp: totpAt(enrolled.secret, t.clock.t),
      });
      assert.equal(done.statusCode, 200, done.body);
      assert.deepEqual(await md(), { seen: true });
    });

    it('an action calling api.multifactor.enable asks too', async () => {
      await setScripts(t, { actions: [action('mfa', `api.multifactor.enable('any');`)] });
      const res = await login(t, ALICE.email);
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json().mfa_requirements, {
        enroll: [{ type: 'otp' }, { type: 'sms' }, { type: 'email' }],
      });
    });

    it('refuses clearly when the client may not use any MFA grant', async () => {
      await putSetting(t.rt.store.db, 'guardian', { policies: ['all-applications'], factors: { otp: true } });
      const res = await login(t, ALICE.email, 'acme-web');
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error, 'unauthorized_client');
      assert.match(res.json().error_description, /add http:\/\/auth0\.com\/oauth\/grant-type\/mfa-otp/);
      await putSetting(t.rt.store.db, 'guardian', { policies: ['all-applications'], factors: {} });
      const none = await login(t, ALICE.email);
      assert.equal(none.statusCode, 403);
      assert.match(none.json().error_description, /no MFA factor is enabled/);
    });
  });
}
