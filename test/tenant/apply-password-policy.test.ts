import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/db.js';
import { applyTenant } from '../../src/tenant/apply.js';
import type { TenantDoc } from '../../src/tenant/schema.js';
import { storeKinds } from '../helpers/stores.js';
import { dump, example, rejection } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const THREE_OF_4 =
  'at least 3 of: lower case letters (a-z), upper case letters (A-Z), numbers (0-9), special characters (e.g. !@#$%^&*)';

for (const kind of storeKinds) {
  describe(`applyTenant, password policy (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
    });
    after(() => store.close());

    it('reports each failed rule of a user password with its path, and writes nothing', async () => {
      const doc = example();
      doc.users![0]!.password = 'short';
      const empty = await dump(store);
      const err = await rejection(() => applyTenant(store, doc, { now: T0 }));
      assert.deepEqual(err.errors, [
        'users[0].password: password policy "good": at least 8 characters',
        `users[0].password: password policy "good": ${THREE_OF_4}`,
      ]);
      assert.deepEqual(await dump(store), empty);
    });

    it("uses the connection's level and options from the file, the default (good) when it sets none", async () => {
      const doc = example();
      // employees sets no password_policy: the default level, good.
      doc.users!.push({ connection: 'employees', email: 'carol@acme.test', password: 'carolcarol' });
      doc.connections![0]!.options = {
        password_policy: 'excellent',
        password_dictionary: { enable: true, dictionary: ['acme-rocks-2026'] },
      };
      doc.users![0]!.password = 'Acme-Rocks-2026';
      const err = await rejection(() => applyTenant(store, doc, { now: T0 }));
      assert.deepEqual(err.errors, [
        "users[0].password: password_dictionary: the password is a word of the connection's dictionary",
        `users[2].password: password policy "good": ${THREE_OF_4}`,
      ]);
    });

    it('checks against the stored connection when the file has only users; never checks an imported hash', async () => {
      await applyTenant(store, example(), { now: T0 }); // bob's custom_password_hash is not checked
      const onlyUsers = {
        users: [
          { connection: 'Username-Password-Authentication', email: 'dave@acme.test', password: 'davedave' },
        ],
      } as TenantDoc;
      const err = await rejection(() => applyTenant(store, onlyUsers, { now: T0 + 1 }));
      assert.deepEqual(err.errors, [`users[0].password: password policy "good": ${THREE_OF_4}`]);
      onlyUsers.users![0]!.password = 'Dave-pw-2026';
      const ok = await applyTenant(store, onlyUsers, { now: T0 + 2 });
      assert.equal(ok.created.length, 1);
    });
  });
}
