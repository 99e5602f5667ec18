import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManagementApiError } from 'auth0';
import { decodeJwt } from 'jose';
import { listEvents } from '../../src/store/repos/events.js';
import { upsertResourceServer } from '../../src/store/repos/resource-servers.js';
import { ALICE, API, SECRET, tokenRequest } from '../helpers/app.js';
import { type ManagementHarness, startManagement, USER_SCOPES } from '../helpers/management.js';
import { storeKinds } from '../helpers/stores.js';

const RBAC_SCOPES = [...USER_SCOPES, 'read:roles', 'create:roles', 'update:roles', 'delete:roles'];
const READ = { resource_server_identifier: API, permission_name: 'read:orders' };
const WRITE = { resource_server_identifier: API, permission_name: 'write:orders' };

const refusal = (status: number, errorCode: string, message: string) => (err: unknown) => {
  assert.ok(err instanceof ManagementApiError, String(err));
  assert.equal(err.statusCode, status);
  assert.equal(err.errorCode, errorCode);
  assert.equal(err.message, message);
  return true;
};

for (const kind of storeKinds) {
  describe(`Management API roles and user RBAC through the SDK (${kind.name})`, () => {
    let h: ManagementHarness;
    let token: string;
    const call = (method: string, url: string, payload?: unknown, bearer = token) => {
      h.clock.advance(100);
      return h.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    };
    before(async () => {
      h = await startManagement(kind, { scopes: RBAC_SCOPES });
      token = await h.token();
    });
    after(() => h.close());

    it('creates, lists, reads, renames and deletes a role', async () => {
      const created = await h.management.roles.create({ name: 'order-admin', description: 'Orders' });
      assert.equal(created.status, 200);
      const id = created.data.id;
      assert.match(id, /^rol_[A-Za-z0-9_-]{16}$/);
      assert.deepEqual(created.data, { id, name: 'order-admin', description: 'Orders' });
      await h.management.roles.create({ name: 'viewer' });

      const all = await h.management.roles.getAll();
      assert.deepEqual(
        all.data.map((r) => r.name),
        ['order-admin', 'viewer'],
      );
      const filtered = await h.management.roles.getAll({ name_filter: 'VIEW', include_totals: true });
      assert.equal(filtered.data.total, 1);
      assert.equal(filtered.data.roles[0]?.name, 'viewer');

      const got = await h.management.roles.get({ id });
      assert.deepEqual(got.data, { id, name: 'order-admin', description: 'Orders' });
      const renamed = await h.management.roles.update(
        { id },
        { name: 'orders-admin', description: null as never },
      );
      assert.deepEqual(renamed.data, { id, name: 'orders-admin' });

      await assert.rejects(
        h.management.roles.create({ name: 'viewer' }),
        refusal(409, 'conflict', 'A role with this name already exists.'),
      );
      await assert.rejects(
        h.management.roles.update({ id }, { name: 'viewer' }),
        refusal(409, 'conflict', 'A role with this name already exists.'),
      );

      const deleted = await h.management.roles.delete({ id });
      assert.equal(deleted.status, 200);
      await assert.rejects(
        h.management.roles.get({ id }),
        refusal(404, 'inexistent_role', 'The role does not exist.'),
      );
      const [sapi] = await listEvents(h.rt.store.db, { type: 'sapi', limit: 1 });
      assert.equal(sapi?.description, 'Delete a Role');
      const [fapi] = await listEvents(h.rt.store.db, { type: 'fapi', limit: 1 });
      assert.equal(fapi?.description, 'Update a Role');
    });

    it('gives a role permissions, lists them, takes them away', async () => {
      const { data: role } = await h.management.roles.create({ name: 'order-writer' });
      const added = await h.management.roles.addPermissions(
        { id: role.id },
        { permissions: [READ, WRITE, READ] },
      );
      assert.equal(added.status, 201);
      const perms = await h.management.roles.getPermissions({ id: role.id });
      assert.deepEqual(perms.data, [
        { ...READ, resource_server_name: 'Orders API', description: '' },
        { ...WRITE, resource_server_name: 'Orders API', description: '' },
      ]);
      await h.management.roles.deletePermissions({ id: role.id }, { permissions: [READ] });
      const left = await h.management.roles.getPermissions({ id: role.id, include_totals: true });
      assert.equal(left.data.total, 1);
      assert.equal(left.data.permissions[0]?.permission_name, 'write:orders');

      await assert.rejects(
        h.management.roles.addPermissions(
          { id: role.id },
          { permissions: [{ resource_server_identifier: API, permission_name: 'drop:orders' }] },
        ),
        refusal(400, 'invalid_body', `API "${API}" defines no scope "drop:orders"`),
      );
      await assert.rejects(
        h.management.roles.addPermissions(
          { id: role.id },
          { permissions: [{ resource_server_identifier: 'https://nope.test/', permission_name: 'x' }] },
        ),
        refusal(400, 'invalid_body', 'No API with identifier "https://nope.test/"'),
      );
    });

    it("assigns roles to a user, lists the role's users and the user's permissions", async () => {
      const { data: role } = await h.management.roles.create({ name: 'reader', description: 'Reads' });
      await h.management.roles.addPermissions({ id: role.id }, { permissions: [READ] });
      const assigned = await h.management.users.assignRoles({ id: ALICE.id }, { roles: [role.id] });
      assert.equal(assigned.status, 204);
      const roles = await h.management.users.getRoles({ id: ALICE.id });
      assert.deepEqual(roles.data, [{ id: role.id, name: 'reader', description: 'Reads' }]);
      const users = await h.management.roles.getUsers({ id: role.id });
      assert.deepEqual(users.data, [{ user_id: ALICE.id, email: ALICE.email, name: 'Alice Example' }]);

      await h.management.users.assignPermissions({ id: ALICE.id }, { permissions: [READ, WRITE] });
      const perms = await h.management.users.getPermissions({ id: ALICE.id });
      assert.deepEqual(perms.data, [
        {
          ...READ,
          resource_server_name: 'Orders API',
          description: '',
          sources: [
            { source_id: '', source_name: '', source_type: 'DIRECT' },
            { source_id: role.id, source_name: 'reader', source_type: 'ROLE' },
          ],
        },
        {
          ...WRITE,
          resource_server_name: 'Orders API',
          description: '',
          sources: [{ source_id: '', source_name: '', source_type: 'DIRECT' }],
        },
      ]);
      await h.management.users.deletePermissions({ id: ALICE.id }, { permissions: [READ, WRITE] });
      const afterDelete = await h.management.users.getPermissions({ id: ALICE.id });
      assert.deepEqual(
        afterDelete.data.map((p) => p.permission_name),
        ['read:orders'],
      );

      await h.management.users.deleteRoles({ id: ALICE.id }, { roles: [role.id] });
      assert.deepEqual((await h.management.users.getRoles({ id: ALICE.id })).data, []);
      assert.deepEqual((await h.management.users.getPermissions({ id: ALICE.id })).data, []);

      await h.management.roles.assignUsers({ id: role.id }, { users: [ALICE.id] });
      assert.equal((await h.management.users.getRoles({ id: ALICE.id })).data.length, 1);
      const [sapi] = await listEvents(h.rt.store.db, { type: 'sapi', limit: 1 });
      assert.equal(sapi?.description, 'Assign users to a Role');
    });

    it('answers 404 for an unknown user or role and 400 for an unknown role id', async () => {
      await assert.rejects(
        h.management.users.assignRoles({ id: 'auth0|nobody' }, { roles: ['rol_x'] }),
        refusal(404, 'inexistent_user', 'The user does not exist.'),
      );
      await assert.rejects(
        h.management.users.getPermissions({ id: 'auth0|nobody' }),
        refusal(404, 'inexistent_user', 'The user does not exist.'),
      );
      await assert.rejects(
        h.management.roles.getPermissions({ id: 'rol_nope' }),
        refusal(404, 'inexistent_role', 'The role does not exist.'),
      );
      const res = await call('POST', `/api/v2/users/${encodeURIComponent(ALICE.id)}/roles`, {
        roles: ['rol_nope'],
      });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'The role "rol_nope" does not exist.',
        errorCode: 'invalid_body',
      });
      const [fapi] = await listEvents(h.rt.store.db, { type: 'fapi', limit: 1 });
      assert.equal(fapi?.description, 'Assign roles to a User');
    });

    it('refuses bad bodies with exact answers', async () => {
      let res = await call('POST', '/api/v2/roles', { name: '' });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_body');
      res = await call('POST', '/api/v2/roles', { name: 'x', permissions: [] });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_body');
      res = await call('POST', `/api/v2/users/${encodeURIComponent(ALICE.id)}/roles`, { roles: [] });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Payload validation error: roles: Expected array length to be greater or equal to 1',
        errorCode: 'invalid_body',
      });
      res = await call('POST', '/api/v2/roles/rol_x/permissions', {
        permissions: [{ permission_name: 'a' }],
      });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_body');
    });

    it("a role given through the API counts at the user's next login, and stops when taken away", async () => {
      const api = {
        id: 'rs_orders',
        name: 'Orders API',
        identifier: API,
        scopes: [{ value: 'read:orders' }, { value: 'write:orders' }],
        enforce_policies: true,
        token_dialect: 'access_token_authz',
      };
      await upsertResourceServer(h.rt.store.db, api, h.rt.now());
      const login = async () => {
        const res = await tokenRequest(h.app, {
          grant_type: 'password',
          username: ALICE.email,
          password: ALICE.password,
          client_id: 'acme-web',
          client_secret: SECRET,
          audience: API,
        });
        assert.equal(res.statusCode, 200, res.body);
        return decodeJwt(res.json().access_token).permissions;
      };
      const { data: role } = await h.management.roles.create({ name: 'login-writer' });
      await h.management.roles.addPermissions({ id: role.id }, { permissions: [WRITE] });
      await h.management.users.assignRoles({ id: ALICE.id }, { roles: [role.id] });
      assert.deepEqual(await login(), ['read:orders', 'write:orders']);
      await h.management.roles.delete({ id: role.id });
      assert.deepEqual(await login(), ['read:orders']);
    });

    it('needs the roles scopes', async () => {
      const reader = await h.addMachineClient('rbac-reader', ['read:users', 'read:roles']);
      const bearer = await h.token(undefined, reader);
      for (const [method, url, scope] of [
        ['POST', '/api/v2/roles', 'create:roles'],
        ['PATCH', '/api/v2/roles/rol_x', 'update:roles'],
        ['DELETE', '/api/v2/roles/rol_x', 'delete:roles'],
        ['POST', '/api/v2/roles/rol_x/permissions', 'update:roles'],
        ['POST', `/api/v2/users/${encodeURIComponent(ALICE.id)}/roles`, 'update:users'],
        ['DELETE', `/api/v2/users/${encodeURIComponent(ALICE.id)}/permissions`, 'update:users'],
      ] as const) {
        const res = await call(method, url, { name: 'x' }, bearer);
        assert.equal(res.statusCode, 403, url);
        assert.deepEqual(res.json(), {
          statusCode: 403,
          error: 'Forbidden',
          message: `Insufficient scope, expected any of: ${scope}`,
          errorCode: 'insufficient_scope',
        });
      }
      const ok = await call('GET', '/api/v2/roles', undefined, bearer);
      assert.equal(ok.statusCode, 200);
    });
  });
}
