import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importUsers } from '../../src/identity/import.js';
import { hashPassword, verifyPassword } from '../../src/identity/passwords.js';
import { userBlockId } from '../../src/protection/block-ids.js';
import type { Store } from '../../src/store/db.js';
import { listBlocks, putBlock } from '../../src/store/repos/blocks.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { findRefreshTokenByHash, insertRefreshToken } from '../../src/store/repos/refresh-tokens.js';
import { findUserById, upsertUser } from '../../src/store/repos/users.js';
import { blockRow, refreshTokenRow } from '../helpers/rows.js';
import { storeKinds } from '../helpers/stores.js';

const T0 = Date.UTC(2026, 0, 1);
/** bcrypt of "Ann-old-Auth0-pw1" (the import fixture's). */
const ANN_BCRYPT = '$2b$10$mlAFia/5dZUYkLWWsEkLZ.cWhaRcsxN5C6Sw3JyPeOrbBn/rveVvS';

const refreshToken = (id: string, userId: string) => refreshTokenRow(id, userId, T0);

for (const kind of storeKinds) {
  describe(`importUsers with upsert (${kind.name})`, () => {
    let store: Store;
    let oldHash: string;
    before(async () => {
      store = await kind.open();
      const base = { strategy: 'auth0', enabled_clients: [] };
      await upsertConnection(store.db, { ...base, id: 'con_customers', name: 'customers' }, T0);
      await upsertConnection(store.db, { ...base, id: 'con_staff', name: 'staff' }, T0);
      oldHash = await hashPassword('Old-password-1');
      const existing = {
        connection_id: 'con_customers',
        email_verified: true,
        profile: { name: 'Old Name', nickname: 'old' },
        app_metadata: { plan: 'free', keep: 1 },
        user_metadata: { lang: 'en' },
        password_hash: oldHash,
      };
      await upsertUser(store.db, { ...existing, user_id: 'auth0|u1', email: 'u1@example.com' }, T0);
      await upsertUser(
        store.db,
        { ...existing, user_id: 'auth0|u2', email: 'u2@example.com', username: 'usertwo' },
        T0,
      );
      await upsertUser(store.db, { ...existing, user_id: 'auth0|u3', username: 'only-name' }, T0);
      // The same email in another directory is another user: an upsert into customers leaves it.
      await upsertUser(
        store.db,
        { ...existing, user_id: 'auth0|staff1', connection_id: 'con_staff', email: 'u1@example.com' },
        T0,
      );
    });
    after(() => store.close());

    it('updates the user an email names: only the fields given, metadata replaced whole', async () => {
      const staffBefore = await findUserById(store.db, 'auth0|staff1');
      const r = await importUsers(
        store,
        'customers',
        [
          { email: 'U1@example.com', given_name: 'Una', app_metadata: { plan: 'pro' }, blocked: true },
          { email: 'new@example.com', name: 'New One' },
        ],
        { now: T0 + 10, upsert: true },
      );
      assert.deepEqual(r, { imported: 1, updated: 1, errors: [] });
      const u1 = await findUserById(store.db, 'auth0|u1');
      assert.deepEqual(
        { ...u1, password_hash: u1!.password_hash === oldHash },
        {
          user_id: 'auth0|u1',
          connection_id: 'con_customers',
          email: 'u1@example.com', // an upsert never changes the email
          username: null,
          email_verified: true, // not given: kept
          blocked: true,
          profile: { name: 'Old Name', nickname: 'old', given_name: 'Una' },
          app_metadata: { plan: 'pro' }, // replaced, as Auth0's upsert does (not merged)
          user_metadata: { lang: 'en' },
          logins_count: 0,
          last_login: null,
          created_at: T0,
          updated_at: T0 + 10,
          password_hash: true, // no hash given: the password is unchanged
        },
      );
      assert.deepEqual(await findUserById(store.db, 'auth0|staff1'), staffBefore);
    });

    it('a new hash replaces the password, lifts the blocks and revokes the refresh tokens', async () => {
      await insertRefreshToken(store.db, refreshToken('u2-rt', 'auth0|u2'));
      await insertRefreshToken(store.db, refreshToken('u1-rt', 'auth0|u1'));
      await putBlock(
        store.db,
        blockRow(userBlockId('con_customers', 'u2@example.com', '203.0.113.9'), T0, {
          identifier: 'u2@example.com',
          user_id: 'auth0|u2',
          ip: '203.0.113.9',
        }),
      );
      assert.equal((await listBlocks(store.db, { userId: 'auth0|u2' })).length, 1);
      const r = await importUsers(
        store,
        'customers',
        [
          {
            username: 'UserTwo',
            email: 'u2@example.com',
            user_id: 'u2',
            email_verified: false,
            password_hash: ANN_BCRYPT,
          },
          { email: 'u1@example.com', user_metadata: { lang: 'de' } },
        ],
        { now: T0 + 20, upsert: true },
      );
      assert.deepEqual(r, { imported: 0, updated: 2, errors: [] });
      const u2 = await findUserById(store.db, 'auth0|u2');
      assert.equal(u2!.email_verified, false);
      assert.equal(u2!.username, 'usertwo');
      assert.equal((await verifyPassword(u2!.password_hash!, 'Ann-old-Auth0-pw1')).ok, true);
      assert.equal((await verifyPassword(u2!.password_hash!, 'Old-password-1')).ok, false);
      assert.equal((await findRefreshTokenByHash(store.db, 'hash-u2-rt'))!.revoked_at, T0 + 20);
      assert.deepEqual(await listBlocks(store.db, { userId: 'auth0|u2' }), []); // lifted
      // u1's password did not change: its refresh token stays.
      assert.equal((await findRefreshTokenByHash(store.db, 'hash-u1-rt'))!.revoked_at, null);
      assert.deepEqual((await findUserById(store.db, 'auth0|u1'))!.user_metadata, { lang: 'de' });
    });

    it('a record without an email finds its user by username', async () => {
      const r = await importUsers(store, 'customers', [{ username: 'ONLY-name', nickname: 'solo' }], {
        now: T0 + 30,
        upsert: true,
      });
      assert.deepEqual(r, { imported: 0, updated: 1, errors: [] });
      assert.equal((await findUserById(store.db, 'auth0|u3'))!.profile.nickname, 'solo');
    });

    it('refuses to change a user_id or a username, or to take another user’s identifier', async () => {
      const before = await store.db.selectFrom('users').selectAll().orderBy('id').execute();
      const r = await importUsers(
        store,
        'customers',
        [
          { email: 'u1@example.com', user_id: 'someone-else', name: 'X' },
          { email: 'u2@example.com', username: 'only-name' },
          { email: 'free@example.com', user_id: 'u1' },
          { email: 'free2@example.com', username: 'usertwo' },
        ],
        { now: T0 + 40, upsert: true },
      );
      assert.deepEqual(r, {
        imported: 0,
        updated: 0,
        errors: [
          '[0] user_id: "auth0|someone-else" cannot replace the user_id of the user with email "u1@example.com" (auth0|u1): an upsert never changes a user_id',
          '[1] username: "only-name" cannot replace the username of auth0|u2 ("usertwo"): an upsert never changes an email or a username; use PATCH /api/v2/users/{id}',
          '[2] user_id: "auth0|u1" is already taken',
          '[3] username: "usertwo" is already used by user auth0|u2 in "customers"',
        ],
      });
      const rename = await importUsers(
        store,
        'customers',
        [{ email: 'u1@example.com', username: 'renamed' }],
        {
          now: T0 + 41,
          upsert: true,
        },
      );
      assert.deepEqual(rename.errors, [
        '[0] username: "renamed" cannot replace the username of auth0|u1 (none): an upsert never changes an email or a username; use PATCH /api/v2/users/{id}',
      ]);
      assert.deepEqual(await store.db.selectFrom('users').selectAll().orderBy('id').execute(), before);
    });

    it('a user named twice in the file is an error for the second record, as without upsert', async () => {
      const r = await importUsers(
        store,
        'customers',
        [
          { email: 'u1@example.com', name: 'First' },
          { email: 'u1@example.com', name: 'Second' },
        ],
        { now: T0 + 50, upsert: true },
      );
      assert.deepEqual(r, {
        imported: 0,
        updated: 1,
        errors: ['[1] email: "u1@example.com" is already used by [0] in the file'],
      });
      assert.equal((await findUserById(store.db, 'auth0|u1'))!.profile.name, 'First');
    });

    it('without upsert an existing user is still an error and is not changed', async () => {
      const before = await findUserById(store.db, 'auth0|u1');
      const r = await importUsers(store, 'customers', [{ email: 'u1@example.com', name: 'Nope' }], {
        now: T0 + 60,
      });
      assert.deepEqual(r, {
        imported: 0,
        updated: 0,
        errors: ['[0] email: "u1@example.com" is already used by user auth0|u1 in "customers"'],
      });
      assert.deepEqual(await findUserById(store.db, 'auth0|u1'), before);
    });
  });
}
