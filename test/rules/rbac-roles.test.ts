import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setUserRoles, upsertRole } from '../../src/store/repos/roles.js';
import { ALICE, API, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { action, login, NS, rule, setScripts } from './helpers.js';

for (const kind of storeKinds) {
  describe(`rules and actions see the user's roles (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      const db = t.rt.store.db;
      const perm = { resource_server_identifier: API, permission_name: 'read:orders' };
      await upsertRole(db, { id: 'rol_b', name: 'billing', permissions: [perm] }, t.rt.now());
      await upsertRole(db, { id: 'rol_a', name: 'admin', permissions: [] }, t.rt.now());
      await setUserRoles(db, ALICE.id, ['rol_b', 'rol_a']);
    });
    after(() => t.close());

    it('as context.authorization.roles and event.authorization.roles', async () => {
      await setScripts(t, {
        rules: [
          rule(
            'roles',
            `context.accessToken['${NS}rule_roles'] = context.authorization.roles; callback(null, user, context);`,
          ),
        ],
        actions: [
          action('roles', `api.accessToken.setCustomClaim('${NS}action_roles', event.authorization.roles);`),
        ],
      });
      const { access } = await login(t);
      assert.deepEqual(access[`${NS}rule_roles`], ['admin', 'billing']);
      assert.deepEqual(access[`${NS}action_roles`], ['admin', 'billing']);
    });
  });
}
