import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { importUsers } from '../../src/identity/import.js';
import { verifyPassword } from '../../src/identity/passwords.js';
import type { Store } from '../../src/store/db.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { findUserByIdentifier, listUsers, upsertUser } from '../../src/store/repos/users.js';
import { storeKinds } from '../helpers/stores.js';

const T0 = Date.UTC(2026, 0, 1);
const FIXTURE = new URL('../fixtures/auth0-users-export.json', import.meta.url);
const records = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as unknown[];

/** The passwords the fixture's hashes were made from. */
const OLD_PASSWORDS = {
  'ann@example.com': 'Ann-old-Auth0-pw1', // password_hash, bcrypt
  'ben@example.com': 'Ben-old-Auth0-pw2', // custom_password_hash, argon2i
  'cat@example.com': 'Cat-old-Auth0-pw3', // custom_password_hash, bcrypt
};

const EXPECTED_ERRORS = [
  '[3] email: not an email address',
  "[4] password: plain-text passwords are not part of Auth0's import format: give password_hash or custom_password_hash, or set the password after the import with tessera users set-password",
  '[5] custom_password_hash.algorithm: unsupported "md5": bcrypt and argon2 are supported',
  '[6] email: "ANN@example.com" is already used by [0] in the file',
  '[7] email: "existing@example.com" is already used by user auth0|existing in "customers"',
  '[9] password_hash: not a bcrypt hash (expected $2b$10$… (60 characters))',
  '[10]: not an object (each user of the array is a JSON object)',
  "[11] created_at: unknown field (not in Auth0's bulk import format)",
  '[11] email_verified: must be true or false',
  '[12] user_id: "auth0|taken" is already taken',
];

for (const kind of storeKinds) {
  describe(`importUsers (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
      const base = { strategy: 'auth0', enabled_clients: [] };
      await upsertConnection(store.db, { ...base, id: 'con_customers', name: 'customers' }, T0);
      await upsertConnection(store.db, { ...base, id: 'con_staff', name: 'staff' }, T0);
      await upsertUser(
        store.db,
        {
          user_id: 'auth0|existing',
          connection_id: 'con_customers',
          email: 'existing@example.com',
          password_hash: 'keep-me',
        },
        T0,
      );
      // Another directory may hold the same email: it does not clash, but a user_id is global.
      await upsertUser(
        store.db,
        { user_id: 'auth0|taken', connection_id: 'con_staff', email: 'ann@example.com' },
        T0,
      );
    });
    after(() => store.close());

    it('imports the valid records, in batches, and reports every bad one exactly', async () => {
      const before = await store.db.selectFrom('users').selectAll().orderBy('id').execute();
      const result = await importUsers(store, 'customers', records(), { now: T0 + 1, batchSize: 2 });
      assert.deepEqual(result, { imported: 4, updated: 0, errors: EXPECTED_ERRORS });

      const after = await store.db.selectFrom('users').selectAll().orderBy('id').execute();
      const untouched = after.filter((r) => before.some((b) => b.id === r.id));
      assert.deepEqual(untouched, before); // nothing else changed
      const imported = (await listUsers(store.db, 'con_customers')).filter(
        (u) => u.user_id !== 'auth0|existing',
      );
      assert.deepEqual(imported.map((u) => u.email).sort(), [
        'ann@example.com',
        'ben@example.com',
        'cat@example.com',
        'dan@example.com',
      ]);
      assert.equal((await listUsers(store.db, 'con_staff')).length, 1);
    });

    it('keeps the fields of Auth0 format and prefixes user_id with auth0|', async () => {
      const ann = await findUserByIdentifier(store.db, 'con_customers', 'ann@example.com');
      assert.deepEqual(
        { ...ann, password_hash: undefined },
        {
          user_id: 'auth0|5f7c8ec7c33c6c004bbafe82',
          connection_id: 'con_customers',
          email: 'ann@example.com',
          username: null,
          email_verified: true,
          blocked: false,
          profile: { given_name: 'Ann', family_name: 'Archer', name: 'Ann Archer' },
          app_metadata: { plan: 'pro', roles: ['admin'] },
          user_metadata: { lang: 'fr' },
          logins_count: 0,
          last_login: null,
          created_at: T0 + 1,
          updated_at: T0 + 1,
          password_hash: undefined,
        },
      );
      const ben = await findUserByIdentifier(store.db, 'con_customers', 'ben');
      assert.equal(ben!.user_id, 'auth0|ben-legacy-1'); // given prefixed: kept as is
      assert.deepEqual(ben!.profile, { nickname: 'benny' });
      const cat = await findUserByIdentifier(store.db, 'con_customers', 'cat@example.com');
      assert.deepEqual(
        [cat!.blocked, cat!.email_verified, cat!.profile],
        [true, false, { picture: 'https://example.com/cat.png' }],
      );
      assert.match(cat!.user_id, /^auth0\|[0-9a-f]{24}$/);
      const dan = await findUserByIdentifier(store.db, 'con_customers', 'dan@example.com');
      assert.equal(dan!.password_hash, null); // no hash: the user sets a password later
    });

    it('the imported hashes verify the old passwords, and ask to be upgraded to argon2id', async () => {
      for (const [email, password] of Object.entries(OLD_PASSWORDS)) {
        const u = await findUserByIdentifier(store.db, 'con_customers', email);
        assert.deepEqual(
          await verifyPassword(u!.password_hash!, password),
          { ok: true, needsRehash: true },
          email,
        );
        assert.deepEqual(await verifyPassword(u!.password_hash!, `${password}x`), {
          ok: false,
          needsRehash: false,
        });
      }
    });

    it('importing the same file again imports nothing and changes nothing', async () => {
      const before = await store.db.selectFrom('users').selectAll().orderBy('id').execute();
      const again = await importUsers(store, 'customers', records(), { now: T0 + 2 });
      assert.equal(again.imported, 0);
      assert.ok(again.errors.includes('[0] user_id: "auth0|5f7c8ec7c33c6c004bbafe82" is already taken'));
      assert.ok(
        again.errors.includes(
          '[0] email: "ann@example.com" is already used by user auth0|5f7c8ec7c33c6c004bbafe82 in "customers"',
        ),
      );
      assert.deepEqual(await store.db.selectFrom('users').selectAll().orderBy('id').execute(), before);
    });

    it('refuses a file that is not an array, and an unknown connection', async () => {
      await assert.rejects(importUsers(store, 'customers', { users: [] }, { now: T0 }), {
        message: 'not an Auth0 bulk import file: it must be a JSON array of users ([{ email, … }, …])',
      });
      await assert.rejects(importUsers(store, 'nope', [], { now: T0 }), {
        message:
          'connection "nope" does not exist (known: customers, staff); define it in the tenant file and run tessera apply',
      });
    });

    it('reports the other custom_password_hash mistakes', async () => {
      const r = await importUsers(
        store,
        'staff',
        [
          {
            email: 'h1@example.com',
            custom_password_hash: { algorithm: 'argon2', hash: { value: '$argon2id$nope' } },
          },
          {
            email: 'h2@example.com',
            custom_password_hash: {
              algorithm: 'bcrypt',
              hash: {
                value: '$2b$10$8yzqfToikb6fSTWbkiKUmeeQx7ENyaPDy58m8G6tiCRCk7PMU8VbO',
                encoding: 'hex',
              },
              salt: 'x',
            },
          },
          {
            email: 'h3@example.com',
            password_hash: '$2b$10$8yzqfToikb6fSTWbkiKUmeeQx7ENyaPDy58m8G6tiCRCk7PMU8VbO',
            custom_password_hash: { algorithm: 'bcrypt' },
          },
          { username: 'h4', user_id: 'google-oauth2|123', mfa_factors: [] },
        ],
        { now: T0 },
      );
      assert.deepEqual(r, {
        imported: 0,
        updated: 0,
        errors: [
          '[0] custom_password_hash.hash.value: not an argon2 hash (expected $argon2id$v=19$m=…,t=…,p=…$salt$hash)',
          '[1] custom_password_hash.salt: not used with bcrypt or argon2 (their hash string carries its own parameters)',
          '[1] custom_password_hash.hash.encoding: must be "utf8" for bcrypt (got "hex")',
          '[2] custom_password_hash: give either password_hash or custom_password_hash, not both',
          '[3] mfa_factors: not supported yet: remove it; the user enrolls MFA again after the import',
          '[3] user_id: "google-oauth2|123" is not a database user id (give it without a provider prefix, or with auth0|)',
        ],
      });
    });
  });
}
