import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser, listConnectionUsers, resolveUser, UserError } from '../../src/identity/users.js';
import type { Store } from '../../src/store/db.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { storeKinds } from '../helpers/stores.js';

const T0 = Date.UTC(2026, 0, 1);

for (const kind of storeKinds) {
  describe(`--connection takes a realm alias, as the grants do (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
      await upsertConnection(
        store.db,
        {
          id: 'con_default',
          name: 'Username-Password-Authentication',
          strategy: 'auth0',
          realms: ['customers'],
          enabled_clients: [],
        },
        T0,
      );
    });
    after(() => store.close());

    it('creates, lists and finds users by the alias', async () => {
      const u = await createUser(
        store,
        { connection: 'customers', email: 'cat@acme.test', password: 'Cat-pw-123456' },
        T0,
      );
      assert.equal(u.connection_id, 'con_default');
      assert.deepEqual(
        (await listConnectionUsers(store, 'customers')).map((x) => x.email),
        ['cat@acme.test'],
      );
      assert.equal((await resolveUser(store, 'cat@acme.test', 'customers')).user_id, u.user_id);
    });

    it('an unknown name lists the connections with their aliases', async () => {
      await assert.rejects(
        listConnectionUsers(store, 'employees'),
        (e: unknown) =>
          e instanceof UserError &&
          e.message ===
            'connection "employees" does not exist (known: Username-Password-Authentication (alias customers)); define it in the tenant file and run tessera apply',
      );
    });
  });
}
