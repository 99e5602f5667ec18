import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PasswordPolicyError } from '../../src/identity/password-policy.js';
import { verifyPassword } from '../../src/identity/passwords.js';
import {
  createUser,
  findUser,
  removeUser,
  resolveUser,
  setUserPassword,
  UserError,
} from '../../src/identity/users.js';
import type { Store } from '../../src/store/db.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { findRefreshTokenByHash, insertRefreshToken } from '../../src/store/repos/refresh-tokens.js';
import { findUserById } from '../../src/store/repos/users.js';
import { refreshTokenRow } from '../helpers/rows.js';
import { storeKinds } from '../helpers/stores.js';

const T0 = Date.UTC(2026, 0, 1);

async function rejects(p: Promise<unknown>, kind: UserError['kind'], message: string | RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e}`);
    assert.equal(e.kind, kind);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const refreshToken = (id: string, userId: string) => refreshTokenRow(id, userId, T0);

for (const kind of storeKinds) {
  describe(`users (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
      const base = { strategy: 'auth0', enabled_clients: [] };
      await upsertConnection(store.db, { ...base, id: 'con_customers', name: 'customers' }, T0);
      await upsertConnection(
        store.db,
        { ...base, id: 'con_staff', name: 'staff', options: { password_policy: 'excellent' } },
        T0,
      );
    });
    after(() => store.close());

    it('creates a user with an argon2id hash and a generated auth0| id', async () => {
      const u = await createUser(
        store,
        {
          connection: 'customers',
          email: 'Ann@Example.com',
          password: 'Ann-pw-123',
          name: 'Ann',
          email_verified: true,
        },
        T0,
      );
      assert.match(u.user_id, /^auth0\|[0-9a-f]{24}$/);
      assert.equal('password_hash' in u, false);
      assert.deepEqual(
        {
          email: u.email,
          verified: u.email_verified,
          profile: u.profile,
          conn: u.connection_id,
          at: u.created_at,
        },
        { email: 'Ann@Example.com', verified: true, profile: { name: 'Ann' }, conn: 'con_customers', at: T0 },
      );
      const stored = await findUserById(store.db, u.user_id);
      assert.match(stored!.password_hash!, /^\$argon2id\$/);
      assert.equal((await verifyPassword(stored!.password_hash!, 'Ann-pw-123')).ok, true);
      assert.deepEqual(await findUser(store, { connection: 'customers', identifier: 'ann@example.com' }), u);
      assert.deepEqual(await findUser(store, { userId: u.user_id }), u);
    });

    it('refuses duplicates within a connection, allows them across connections', async () => {
      await rejects(
        createUser(store, { connection: 'customers', email: 'ANN@example.com', password: 'Other-pw-1' }, T0),
        'conflict',
        /^email "ANN@example\.com" is already used by user auth0\|[0-9a-f]{24} in "customers"$/,
      );
      const staff = await createUser(
        store,
        {
          connection: 'staff',
          email: 'ann@example.com',
          username: 'ann',
          user_id: 'ann-staff',
          password: 'Staff-Ann-pw-42',
        },
        T0,
      );
      assert.equal(staff.user_id, 'auth0|ann-staff');
      await rejects(
        createUser(store, { connection: 'staff', email: 'x@example.com', username: 'ANN' }, T0),
        'conflict',
        'username "ANN" is already used by user auth0|ann-staff in "staff"',
      );
      await rejects(
        createUser(
          store,
          { connection: 'customers', email: 'y@example.com', user_id: 'auth0|ann-staff' },
          T0,
        ),
        'conflict',
        'user_id "auth0|ann-staff" is already taken',
      );
      await rejects(
        resolveUser(store, 'ann@example.com'),
        'conflict',
        '"ann@example.com" is a user of several connections (customers, staff): name one with --connection, or give the user_id',
      );
      assert.equal((await resolveUser(store, 'ann@example.com', 'staff')).user_id, 'auth0|ann-staff');
    });

    it('checks the input and the connection policy before writing', async () => {
      await assert.rejects(
        createUser(store, { connection: 'staff', email: 'z@example.com', password: 'Short-1' }, T0),
        (e: unknown) =>
          e instanceof PasswordPolicyError &&
          e.failures[0] === 'password policy "excellent": at least 10 characters',
      );
      await rejects(
        createUser(store, { connection: 'nope', email: 'z@example.com' }, T0),
        'not_found',
        'connection "nope" does not exist (known: customers, staff); define it in the tenant file and run tessera apply',
      );
      await rejects(
        createUser(store, { connection: 'customers', email: 'not-an-email' }, T0),
        'invalid',
        'email "not-an-email" is not an email address',
      );
      await rejects(
        createUser(store, { connection: 'customers' }, T0),
        'invalid',
        'a user needs an email or a username',
      );
      assert.equal(await findUser(store, { connection: 'staff', identifier: 'z@example.com' }), undefined);
    });

    it('set-password: checks the policy, re-hashes, revokes the refresh tokens', async () => {
      const u = await createUser(
        store,
        { connection: 'customers', email: 'rt@example.com', password: 'Old-pw-123' },
        T0,
      );
      await insertRefreshToken(store.db, refreshToken('rt1', u.user_id));
      await insertRefreshToken(store.db, refreshToken('rt2', u.user_id));
      await insertRefreshToken(store.db, refreshToken('other', 'auth0|someone-else'));
      await assert.rejects(setUserPassword(store, u.user_id, 'weak', T0 + 1), PasswordPolicyError);
      assert.equal((await findRefreshTokenByHash(store.db, 'hash-rt1'))!.revoked_at, null);

      assert.deepEqual(await setUserPassword(store, u.user_id, 'New-pw-456', T0 + 5), { revoked: 2 });
      const stored = await findUserById(store.db, u.user_id);
      assert.equal((await verifyPassword(stored!.password_hash!, 'New-pw-456')).ok, true);
      assert.equal((await verifyPassword(stored!.password_hash!, 'Old-pw-123')).ok, false);
      assert.equal(stored!.updated_at, T0 + 5);
      assert.equal((await findRefreshTokenByHash(store.db, 'hash-rt1'))!.revoked_at, T0 + 5);
      assert.equal((await findRefreshTokenByHash(store.db, 'hash-rt2'))!.revoked_at, T0 + 5);
      assert.equal((await findRefreshTokenByHash(store.db, 'hash-other'))!.revoked_at, null);
      await rejects(
        setUserPassword(store, 'auth0|ghost', 'New-pw-456', T0),
        'not_found',
        'no user has user_id "auth0|ghost" (tessera users list shows them)',
      );
    });

    it('remove: revokes the refresh tokens and deletes the user', async () => {
      const u = await createUser(store, { connection: 'customers', email: 'bye@example.com' }, T0);
      await insertRefreshToken(store.db, refreshToken('bye1', u.user_id));
      assert.deepEqual(await removeUser(store, u.user_id, T0 + 9), { revoked: 1 });
      assert.equal(await findUserById(store.db, u.user_id), undefined);
      assert.equal((await findRefreshTokenByHash(store.db, 'hash-bye1'))!.revoked_at, T0 + 9);
      await rejects(removeUser(store, u.user_id, T0), 'not_found', /^no user has user_id/);
    });
  });
}
