import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { listEvents } from '../../src/store/repos/events.js';
import { ALICE, API, ISSUER, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import {
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
  describe(`rules (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await addRefreshClient(t);
    });
    after(() => t.close());
    beforeEach(() => setScripts(t, {}));

    it('adds namespaced custom claims to the access and ID tokens', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'claims',
            `context.accessToken['${NS}roles'] = ['admin'];
             context.idToken['${NS}team'] = 'blue';
             callback(null, user, context);`,
          ),
        ],
      });
      const { access, id } = await login(t, { scope: 'openid' });
      const iat = Math.floor(t.clock.t / 1000);
      assert.deepEqual(access, {
        [`${NS}roles`]: ['admin'],
        iss: ISSUER,
        sub: ALICE.id,
        aud: [API, `${ISSUER}userinfo`],
        iat,
        exp: iat + 7200,
        scope: 'openid profile email address phone read:orders write:orders',
        gty: 'password',
        azp: 'acme-web',
      });
      assert.equal(id![`${NS}team`], 'blue');
      assert.equal(id!.sub, ALICE.id);
    });

    it('ignores and logs reserved claims', async () => {
      const logs = captureLogs(t);
      await setScripts(t, {
        rules: [
          rule(
            'reserved',
            `context.accessToken.iss = 'https://evil.test/';
             context.accessToken.sub = 'root';
             context.accessToken['${NS}ok'] = 1;
             context.idToken.aud = 'someone-else';
             callback(null, user, context);`,
          ),
        ],
      });
      const { access, id } = await login(t, { scope: 'openid' });
      assert.equal(access.iss, ISSUER);
      assert.equal(access.sub, ALICE.id);
      assert.equal(access[`${NS}ok`], 1);
      assert.equal(id!.aud, 'acme-web');
      const warned = logs.filter((l) => l.level === 'warn').map((l) => `${l.obj.token}:${l.obj.claim}`);
      assert.deepEqual(warned, ['access:iss', 'access:sub', 'id:aud']);
      assert.equal(logs[0]!.obj.script, 'Rule "reserved"');
    });

    it('changes the granted scopes through context.accessToken.scope', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'scopes',
            `context.accessToken.scope = context.accessToken.scope.filter((s) => s !== 'write:orders').concat(['read:reports']);
             callback(null, user, context);`,
          ),
        ],
      });
      const { body, access } = await login(t, { scope: 'read:orders write:orders' });
      assert.equal(body.scope, 'read:orders read:reports');
      assert.equal(access.scope, 'read:orders read:reports');
    });

    it('answers 401 unauthorized with the message of an UnauthorizedError, and audits it', async () => {
      await setScripts(t, {
        rules: [rule('deny', `callback(new UnauthorizedError('Only staff may log in here'));`)],
      });
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), {
        error: 'unauthorized',
        error_description: 'Only staff may log in here',
      });
      const [event] = await listEvents(t.rt.store.db, { limit: 1 });
      assert.equal(event!.type, 'fepft');
      assert.equal(event!.description, 'Only staff may log in here');
      assert.equal(event!.user_id, ALICE.id);
    });

    it('refuses a redirect with interaction_required', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'consent',
            `context.redirect = { url: 'https://consent.acme.test/' }; callback(null, user, context);`,
          ),
        ],
      });
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'interaction_required',
        error_description:
          'Rule "consent" asked to redirect the user to https://consent.acme.test/, but redirects are not possible in the Resource Owner Password flow',
      });
    });

    it('never lets a multifactor request through: refused on refresh, no tokens on password logins', async () => {
      const token = await refreshToken(t);
      await setScripts(t, {
        rules: [
          rule(
            'mfa',
            `context.multifactor = { provider: 'any', allowRememberBrowser: false }; callback(null, user, context);`,
          ),
        ],
      });
      const res = await refresh(t, token);
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'access_denied',
        error_description:
          'Multifactor authentication was requested by a rule but MFA is not configured on this server',
      });
      // A password login goes on to mfa.decide, which asks for (or refuses without) a second factor.
      const pw = await tokenRequest(t.app, alice);
      assert.equal(pw.statusCode, 403);
      assert.equal(pw.json().access_token, undefined);
    });

    it('runs the enabled rules in order and skips disabled ones', async () => {
      const trail = (
        name: string,
      ) => `(context.accessToken['${NS}trail'] = context.accessToken['${NS}trail'] || []).push('${name}');
         callback(null, user, context);`;
      await setScripts(t, {
        rules: [
          { ...rule('third', trail('third')), order: 30 },
          { ...rule('first', trail('first')), order: 10 },
          { ...rule('off', trail('off')), order: 15, enabled: false },
          { ...rule('second', trail('second')), order: 20 },
        ],
      });
      const { access } = await login(t);
      assert.deepEqual(access[`${NS}trail`], ['first', 'second', 'third']);
    });

    it('passes the user a rule called back with on to the next rule', async () => {
      await setScripts(t, {
        rules: [
          rule('one', `user.app_metadata.plan = 'gold'; callback(null, user, context);`),
          rule(
            'two',
            `context.accessToken['${NS}plan'] = user.app_metadata.plan; callback(null, user, context);`,
          ),
        ],
      });
      assert.equal((await login(t)).access[`${NS}plan`], 'gold');
    });

    it('exposes the rules configuration as the global configuration', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'config',
            `context.accessToken['${NS}greeting'] = configuration.GREETING; callback(null, user, context);`,
          ),
        ],
        configs: { GREETING: 'hello' },
      });
      assert.equal((await login(t)).access[`${NS}greeting`], 'hello');
    });
  });
}
