import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/db.js';
import { findResourceServer } from '../../src/store/repos/resource-servers.js';
import { listRoles, userAuthorization } from '../../src/store/repos/roles.js';
import { applyTenant } from '../../src/tenant/apply.js';
import { exportTenant } from '../../src/tenant/export.js';
import type { TenantDoc } from '../../src/tenant/schema.js';
import { TenantFileError } from '../../src/tenant/schema.js';
import { storeKinds } from '../helpers/stores.js';

const API = 'https://api.acme.test/orders';
const doc = (): TenantDoc =>
  ({
    connections: [{ name: 'db', strategy: 'auth0' }],
    resourceServers: [
      {
        identifier: API,
        enforce_policies: true,
        scopes: [{ value: 'read:orders' }, { value: 'write:orders' }],
      },
    ],
    roles: [
      {
        name: 'reader',
        description: 'Reads orders',
        permissions: [{ resource_server_identifier: API, permission_name: 'read:orders' }],
      },
      { name: 'writer', permissions: [{ resource_server_identifier: API, permission_name: 'write:orders' }] },
    ],
    users: [
      {
        connection: 'db',
        user_id: 'auth0|alice',
        email: 'alice@acme.test',
        roles: ['reader'],
        permissions: [{ resource_server_identifier: API, permission_name: 'write:orders' }],
      },
    ],
  }) as TenantDoc;

for (const kind of storeKinds) {
  describe(`tenant file roles (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
    });
    after(() => store.close());

    it('applies roles and users’ roles and permissions, idempotently, and exports them', async () => {
      const first = await applyTenant(store, doc(), { now: 1 });
      assert.ok(first.created.includes('role reader'));
      // A user created with its roles is one created object, not also an update.
      assert.ok(first.created.includes('user auth0|alice'));
      assert.deepEqual(first.updated, []);
      const api = await findResourceServer(store.db, API);
      const authz = await userAuthorization(store.db, 'auth0|alice', api?.id);
      assert.deepEqual(authz, { roles: ['reader'], permissions: ['read:orders', 'write:orders'] });
      const again = await applyTenant(store, doc(), { now: 2 });
      assert.deepEqual([again.created, again.updated, again.deleted], [[], [], []]);
      const out = await exportTenant(store);
      assert.deepEqual(out.roles, doc().roles);
      assert.deepEqual(out.users?.[0].roles, ['reader']);
      assert.deepEqual(out.users?.[0].permissions, doc().users?.[0].permissions);
    });

    it('replaces a user’s roles and prunes roles the file leaves out', async () => {
      const d = doc();
      d.roles = d.roles?.slice(1);
      d.users![0].roles = ['writer'];
      const report = await applyTenant(store, d, { now: 3, prune: true });
      assert.ok(report.deleted.includes('role reader'));
      assert.deepEqual(
        (await listRoles(store.db)).map((r) => r.name),
        ['writer'],
      );
      const api = await findResourceServer(store.db, API);
      assert.deepEqual((await userAuthorization(store.db, 'auth0|alice', api?.id)).roles, ['writer']);
    });

    const refusal = async (d: TenantDoc) => {
      try {
        await applyTenant(store, d, { now: 4 });
      } catch (e) {
        assert.ok(e instanceof TenantFileError);
        return e.errors.sort();
      }
      assert.fail('applied');
    };

    it('refuses an unknown role, API or scope, naming the place', async () => {
      let d = doc();
      d.roles![0].permissions = [{ resource_server_identifier: API, permission_name: 'drop:orders' }];
      assert.deepEqual(await refusal(d), [
        'roles[0].permissions[0].permission_name: scope "drop:orders" is not defined by API "https://api.acme.test/orders"',
      ]);
      d = doc();
      d.users![0].roles = ['nobody'];
      d.roles![1].permissions = [{ resource_server_identifier: 'https://nowhere', permission_name: 'x' }];
      assert.deepEqual(await refusal(d), [
        'roles[1].permissions[0].resource_server_identifier: unknown API "https://nowhere"',
        'users[0].roles[0]: unknown role "nobody"',
      ]);
    });
  });
}
