import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { deleteResourceServer, upsertResourceServer } from '../../src/store/repos/resource-servers.js';
import {
  deleteRole,
  listRoles,
  setUserPermissions,
  setUserRoles,
  upsertRole,
  userAuthorization,
} from '../../src/store/repos/roles.js';
import { ALICE, API, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const ORDERS = {
  id: 'rs_orders',
  name: 'Orders API',
  identifier: API,
  scopes: [{ value: 'read:orders' }, { value: 'write:orders' }, { value: 'delete:orders' }],
  allow_offline_access: true,
  enforce_policies: true,
  token_dialect: 'access_token_authz',
};
const perm = (permission_name: string) => ({ resource_server_identifier: API, permission_name });

for (const kind of storeKinds) {
  describe(`RBAC (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      const db = t.rt.store.db;
      const now = t.rt.now();
      await upsertResourceServer(db, ORDERS, now);
      await upsertClient(
        db,
        {
          client_id: 'rbac-app',
          name: 'rbac-app',
          token_endpoint_auth_method: 'client_secret_post',
          grant_types: ['password', 'refresh_token'],
          refresh_token: { rotation_type: 'non-rotating', expiration_type: 'non-expiring' },
        },
        hashClientSecret(SECRET),
        now,
      );
      await upsertConnection(
        db,
        {
          id: 'con_default',
          name: 'Username-Password-Authentication',
          strategy: 'auth0',
          enabled_clients: ['acme-web', 'rbac-app'],
        },
        now,
      );
      await upsertRole(db, { id: 'rol_reader', name: 'reader', permissions: [perm('read:orders')] }, now);
      await upsertRole(db, { id: 'rol_writer', name: 'writer', permissions: [perm('write:orders')] }, now);
      await setUserRoles(db, ALICE.id, ['rol_reader', 'rol_writer']);
    });
    after(() => t.close());

    async function login(scope?: string) {
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        username: ALICE.email,
        password: ALICE.password,
        client_id: 'rbac-app',
        client_secret: SECRET,
        audience: API,
        ...(scope !== undefined ? { scope } : {}),
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    }

    it('grants exactly the permissions of the roles when no API scope is asked', async () => {
      const body = await login('openid');
      const at = decodeJwt(body.access_token);
      assert.equal(at.scope, 'openid profile email address phone read:orders write:orders');
      assert.deepEqual(at.permissions, ['read:orders', 'write:orders']);
    });

    it('drops a requested scope the user lacks and echoes scope', async () => {
      const body = await login('read:orders delete:orders');
      assert.equal(body.scope, 'read:orders');
      const at = decodeJwt(body.access_token);
      assert.equal(at.scope, 'read:orders');
      // The claim lists what the user holds for the API, as Auth0's does.
      assert.deepEqual(at.permissions, ['read:orders', 'write:orders']);
    });

    it('adds a direct permission, and no permissions claim in the plain dialect', async () => {
      const db = t.rt.store.db;
      await setUserPermissions(db, ALICE.id, [perm('delete:orders')]);
      let at = decodeJwt((await login('delete:orders')).access_token);
      assert.equal(at.scope, 'delete:orders');
      await upsertResourceServer(db, { ...ORDERS, token_dialect: 'access_token' }, t.rt.now());
      at = decodeJwt((await login('delete:orders')).access_token);
      assert.equal(at.permissions, undefined);
      await upsertResourceServer(db, ORDERS, t.rt.now());
      await setUserPermissions(db, ALICE.id, []);
    });

    it('re-evaluates permissions at refresh: a removed role stops appearing', async () => {
      const body = await login('offline_access read:orders write:orders');
      assert.ok(body.refresh_token);
      await setUserRoles(t.rt.store.db, ALICE.id, ['rol_reader']);
      const res = await tokenRequest(t.app, {
        grant_type: 'refresh_token',
        client_id: 'rbac-app',
        client_secret: SECRET,
        refresh_token: body.refresh_token,
      });
      assert.equal(res.statusCode, 200, res.body);
      const at = decodeJwt(res.json().access_token);
      assert.equal(at.scope, 'offline_access read:orders');
      assert.deepEqual(at.permissions, ['read:orders']);
      await setUserRoles(t.rt.store.db, ALICE.id, ['rol_reader', 'rol_writer']);
    });

    it('without enforce_policies grants the API scopes as requested', async () => {
      await upsertResourceServer(t.rt.store.db, { ...ORDERS, enforce_policies: false }, t.rt.now());
      const at = decodeJwt((await login('delete:orders')).access_token);
      assert.equal(at.scope, 'delete:orders');
      assert.equal(at.permissions, undefined);
      await upsertResourceServer(t.rt.store.db, ORDERS, t.rt.now());
    });

    it('deleting a role or an API cleans up its assignments', async () => {
      const db = t.rt.store.db;
      const now = t.rt.now();
      await upsertResourceServer(db, { id: 'rs_tmp', identifier: 'https://tmp.test', scopes: [] }, now);
      await upsertRole(
        db,
        {
          id: 'rol_tmp',
          name: 'tmp',
          permissions: [{ resource_server_identifier: 'https://tmp.test', permission_name: 'x' }],
        },
        now,
      );
      await setUserRoles(db, ALICE.id, ['rol_reader', 'rol_tmp']);
      await setUserPermissions(db, ALICE.id, [
        { resource_server_identifier: 'https://tmp.test', permission_name: 'y' },
      ]);
      assert.deepEqual((await userAuthorization(db, ALICE.id, 'rs_tmp')).permissions, ['x', 'y']);
      await deleteResourceServer(db, 'rs_tmp');
      assert.deepEqual((await db.selectFrom('user_permissions').selectAll().execute()).length, 0);
      assert.deepEqual((await listRoles(db)).find((r) => r.name === 'tmp')?.permissions, []);
      await deleteRole(db, 'rol_tmp');
      assert.deepEqual((await userAuthorization(db, ALICE.id, undefined)).roles, ['reader']);
      await setUserRoles(db, ALICE.id, ['rol_reader', 'rol_writer']);
    });
  });
}
