import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashKind, verifyPassword } from '../../src/identity/passwords.js';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import type { Store } from '../../src/store/db.js';
import { findClient } from '../../src/store/repos/clients.js';
import { findConnectionByName, upsertConnection } from '../../src/store/repos/connections.js';
import { findResourceServer } from '../../src/store/repos/resource-servers.js';
import { getSetting, getTenantSettings } from '../../src/store/repos/settings.js';
import {
  findUserById,
  findUserByIdentifier,
  listUsers,
  setPasswordHash,
  upsertUser,
} from '../../src/store/repos/users.js';
import { applyTenant } from '../../src/tenant/apply.js';
import type { TenantDoc } from '../../src/tenant/schema.js';
import { storeKinds } from '../helpers/stores.js';
import { BOB_PASSWORD, dump, ENV, example, rejection } from './helpers.js';

const T0 = 1_700_000_000_000;
const sorted = (xs: string[]) => [...xs].sort();

function edited(edit: (doc: any) => void): TenantDoc {
  const doc = example();
  edit(doc);
  return doc;
}

for (const kind of storeKinds) {
  describe(`applyTenant (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
    });
    after(() => store.close());

    /** A store with the example applied, emptied between tests by opening a fresh one. */
    async function fresh(): Promise<Store> {
      await store.close();
      store = await kind.open();
      await applyTenant(store, example(), { now: T0 });
      return store;
    }

    it('creates every object of the example', async () => {
      const report = await applyTenant(store, example(), { now: T0 });
      const bob = (await listUsers(store.db)).find((u) => u.email === 'bob@acme.test')!;
      assert.match(bob.user_id, /^auth0\|[0-9a-f]{24}$/);
      assert.deepEqual(report, {
        created: [
          'connection Username-Password-Authentication',
          'connection employees',
          'api https://api.acme.test/orders',
          'client acme-web',
          'client acme-spa',
          'role order-reader',
          'user auth0|alice',
          `user ${bob.user_id}`,
          'setting tenant',
          'setting rules',
          'setting actions',
          'setting rulesConfigs',
          'setting clientGrants',
          'setting guardian',
          'setting attackProtection',
          'setting emailTemplates',
        ],
        updated: [],
        deleted: [],
        unchanged: 0,
      });
      const upa = await findConnectionByName(store.db, 'Username-Password-Authentication');
      assert.match(upa!.id, /^con_[A-Za-z0-9]{16}$/);
      assert.deepEqual(upa!.enabled_clients, ['acme-web', 'acme-spa']);
      assert.deepEqual((await findConnectionByName(store.db, 'employees'))!.enabled_clients, ['acme-web']);
      const api = await findResourceServer(store.db, 'https://api.acme.test/orders');
      assert.match(api!.id, /^rs_[A-Za-z0-9]{16}$/);
      assert.equal(api!.token_lifetime, 86400);

      const web = await findClient(store.db, 'acme-web');
      assert.equal(web!.secretHash, hashClientSecret(ENV.ACME_WEB_SECRET));
      assert.equal(web!.client.client_secret, undefined);
      assert.equal(web!.client.is_token_endpoint_ip_header_trusted, true);
      assert.equal((await findClient(store.db, 'acme-spa'))!.secretHash, null);

      const alice = await findUserById(store.db, 'auth0|alice');
      assert.equal(alice!.connection_id, upa!.id);
      assert.equal(hashKind(alice!.password_hash!), 'argon2id');
      assert.deepEqual(await verifyPassword(alice!.password_hash!, ENV.ALICE_PASSWORD), {
        ok: true,
        needsRehash: false,
      });
      assert.equal((await verifyPassword(alice!.password_hash!, 'wrong')).ok, false);
      assert.deepEqual(alice!.profile, { name: 'Alice Example' });
      assert.deepEqual(alice!.app_metadata, { roles: ['admin'] });
      assert.equal(alice!.email_verified, true);

      // The imported bcrypt hash is stored as it is and verifies bob's password.
      assert.equal(bob.password_hash, example().users![1].custom_password_hash!.hash.value);
      assert.deepEqual(await verifyPassword(bob.password_hash!, BOB_PASSWORD), {
        ok: true,
        needsRehash: true,
      });

      assert.deepEqual(await getTenantSettings(store.db), example().tenant);
      assert.deepEqual(await getSetting(store.db, 'attackProtection'), example().attackProtection);
      assert.deepEqual(await getSetting(store.db, 'rules'), example().rules);
    });

    it('changes nothing when the same file is applied again', async () => {
      const rows = await dump(store);
      const report = await applyTenant(store, example(), { now: T0 + 60_000 });
      assert.deepEqual(report, { created: [], updated: [], deleted: [], unchanged: 16 });
      assert.deepEqual(await dump(store), rows);
    });

    it('updates only the object whose field changed', async () => {
      const rows = await dump(store);
      const report = await applyTenant(
        store,
        edited((d) => {
          d.clients[1].name = 'Acme Single Page';
        }),
        { now: T0 + 1 },
      );
      assert.deepEqual(report, { created: [], updated: ['client acme-spa'], deleted: [], unchanged: 15 });
      const after = await dump(store);
      assert.deepEqual({ ...after, clients: [] }, { ...rows, clients: [] });
      const [spa, web] = after.clients;
      assert.deepEqual(web, rows.clients[1]);
      assert.equal(spa.client_id, 'acme-spa');
      assert.deepEqual(
        { ...spa, config: '', updated_at: 0 },
        { ...rows.clients[0], config: '', updated_at: 0 },
      );
      assert.equal(spa.updated_at, T0 + 1);
      assert.equal(JSON.parse(spa.config).name, 'Acme Single Page');
    });

    it('re-hashes a password only when it changed, and updates a client secret', async () => {
      await fresh();
      const before = (await findUserById(store.db, 'auth0|alice'))!.password_hash!;
      const changed = edited((d) => {
        d.users[0].password = 'A-new-password';
        d.clients[0].client_secret = 'another-long-secret-xyz';
        delete d.tenant.friendly_name;
      });
      const report = await applyTenant(store, changed, { now: T0 + 2 });
      assert.deepEqual(sorted(report.updated), ['client acme-web', 'setting tenant', 'user auth0|alice']);
      const alice = (await findUserById(store.db, 'auth0|alice'))!;
      assert.notEqual(alice.password_hash, before);
      assert.equal((await verifyPassword(alice.password_hash!, 'A-new-password')).ok, true);
      assert.equal((await verifyPassword(alice.password_hash!, ENV.ALICE_PASSWORD)).ok, false);
      assert.equal(
        (await findClient(store.db, 'acme-web'))!.secretHash,
        hashClientSecret('another-long-secret-xyz'),
      );
      assert.equal((await getTenantSettings(store.db)).friendly_name, undefined);
      const again = await applyTenant(store, changed, { now: T0 + 3 });
      assert.deepEqual([again.created, again.updated], [[], []]);
      assert.equal((await findUserById(store.db, 'auth0|alice'))!.password_hash, alice.password_hash);
    });

    it('keeps a login re-hash of an imported hash, finding the user by connection and email', async () => {
      await fresh();
      const bob = (await findUserByIdentifier(
        store.db,
        (await findConnectionByName(store.db, 'employees'))!.id,
        'BOB@acme.test',
      ))!;
      const { hashPassword } = await import('../../src/identity/passwords.js');
      const rehashed = await hashPassword(BOB_PASSWORD);
      await setPasswordHash(store.db, bob.user_id, rehashed, T0 + 5);
      const report = await applyTenant(store, example(), { now: T0 + 6 });
      assert.deepEqual([report.created, report.updated], [[], []]);
      assert.equal((await findUserById(store.db, bob.user_id))!.password_hash, rehashed);
      // A different imported hash of the same kind is a deliberate change.
      const other = example().users![1].custom_password_hash!.hash.value.replace(/.$/, (c) =>
        c === 'a' ? 'b' : 'a',
      );
      await upsertUser(
        store.db,
        { ...bob, password_hash: example().users![1].custom_password_hash!.hash.value },
        T0,
      );
      const r2 = await applyTenant(
        store,
        edited((d) => {
          d.users[1].custom_password_hash.hash.value = other;
        }),
        { now: T0 + 7 },
      );
      assert.deepEqual(r2.updated, [`user ${bob.user_id}`]);
      assert.equal((await findUserById(store.db, bob.user_id))!.password_hash, other);
    });

    it('prunes what the file no longer names, only with prune', async () => {
      await fresh();
      const upa = (await findConnectionByName(store.db, 'Username-Password-Authentication'))!;
      await upsertUser(
        store.db,
        { user_id: 'auth0|stray', connection_id: upa.id, email: 'stray@acme.test' },
        T0,
      );
      const bobId = (await listUsers(store.db)).find((u) => u.email === 'bob@acme.test')!.user_id;
      const smaller = edited((d) => {
        d.connections = d.connections.filter((c: any) => c.name !== 'employees');
        d.clients = d.clients.filter((c: any) => c.client_id !== 'acme-spa');
        d.connections[0].enabled_clients = ['acme-web'];
        d.users = d.users.filter((u: any) => u.connection !== 'employees');
        d.resourceServers = [];
        delete d.clientGrants; // its grant names the API pruned here
      });
      const kept = await applyTenant(store, smaller, { now: T0 + 1 });
      assert.deepEqual(kept.deleted, []);
      assert.deepEqual(kept.updated, ['connection Username-Password-Authentication']);
      assert.ok(await findClient(store.db, 'acme-spa'));
      assert.equal((await listUsers(store.db)).length, 3);

      // default_audience, a role's and a user's permissions name the API the smaller file drops:
      // with prune that is an error naming each, and nothing changes.
      const rows = await dump(store);
      const err = await rejection(() => applyTenant(store, smaller, { prune: true, now: T0 + 2 }));
      assert.deepEqual(err.errors, [
        'tenant.default_audience: unknown API "https://api.acme.test/orders"',
        'roles[0].permissions[0].resource_server_identifier: unknown API "https://api.acme.test/orders"',
        'users[0].permissions[0].resource_server_identifier: unknown API "https://api.acme.test/orders"',
      ]);
      assert.deepEqual(await dump(store), rows);

      delete smaller.tenant!.default_audience;
      smaller.roles![0].permissions = [];
      delete smaller.users![0].permissions;
      const pruned = await applyTenant(store, smaller, { prune: true, now: T0 + 3 });
      assert.deepEqual(
        sorted(pruned.deleted),
        sorted([
          'api https://api.acme.test/orders',
          'client acme-spa',
          'connection employees',
          'user auth0|stray',
          `user ${bobId}`,
        ]),
      );
      assert.deepEqual(pruned.updated, ['setting tenant']);
      assert.equal(await findConnectionByName(store.db, 'employees'), undefined);
      assert.equal(await findClient(store.db, 'acme-spa'), undefined);
      assert.deepEqual(
        (await listUsers(store.db)).map((u) => u.user_id),
        ['auth0|alice'],
      );
      const again = await applyTenant(store, smaller, { prune: true, now: T0 + 4 });
      assert.deepEqual([again.created, again.updated, again.deleted], [[], [], []]);
    });

    it('prunes no users when the file has no users section, nor outside the connections it names', async () => {
      await fresh();
      await upsertConnection(
        store.db,
        { id: 'con_other', name: 'other', strategy: 'auth0', enabled_clients: [] },
        T0,
      );
      await upsertUser(
        store.db,
        { user_id: 'auth0|other', connection_id: 'con_other', email: 'o@acme.test' },
        T0,
      );
      const noUsers = edited((d) => {
        delete d.users;
        d.connections.push({ name: 'other', strategy: 'auth0' });
      });
      const r1 = await applyTenant(store, noUsers, { prune: true, now: T0 + 1 });
      assert.deepEqual(r1.deleted, []);
      assert.equal((await listUsers(store.db)).length, 3);
      // Users only, no connections section: only the users' own connection is in scope.
      const upa = (await findConnectionByName(store.db, 'Username-Password-Authentication'))!;
      await upsertUser(
        store.db,
        { user_id: 'auth0|stray', connection_id: upa.id, email: 'stray@acme.test' },
        T0,
      );
      const r2 = await applyTenant(store, { users: [example().users![0]] }, { prune: true, now: T0 + 2 });
      assert.deepEqual(r2, { created: [], updated: [], deleted: ['user auth0|stray'], unchanged: 1 });
      assert.deepEqual(sorted((await listUsers(store.db)).map((u) => u.email!)), [
        'alice@acme.test',
        'bob@acme.test',
        'o@acme.test',
      ]);
    });

    it('checks references against the database, and rolls back on a late error', async () => {
      await fresh();
      const onlyUsers = {
        users: [{ connection: 'employees', email: 'carol@acme.test', password: 'Carol-pw-123' }],
      };
      const r = await applyTenant(store, onlyUsers as TenantDoc, { now: T0 + 1 });
      assert.equal(r.created.length, 1);
      const err = await rejection(() =>
        applyTenant(store, { users: [{ connection: 'nope', email: 'x@acme.test' }] } as TenantDoc, {}),
      );
      assert.deepEqual(err.errors, ['users[0].connection: unknown connection "nope"']);

      const rows = await dump(store);
      const clash = edited((d) => {
        d.connections[1].enabled_clients = [];
        d.users.push({ connection: 'employees', user_id: 'auth0|carol2', email: 'CAROL@acme.test' });
      });
      const e2 = await rejection(() => applyTenant(store, clash, { now: T0 + 2 }));
      assert.match(
        e2.errors[0],
        /^users\[2\]\.email: "CAROL@acme\.test" is already used by user auth0\|[0-9a-f]{24} in "employees"$/,
      );
      assert.deepEqual(await dump(store), rows); // the connection change made before the error was rolled back
    });
  });
}
