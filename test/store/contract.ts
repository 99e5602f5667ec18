import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Kysely } from 'kysely';
import type { Store } from '../../src/store/db.js';
import { NulInText, UniqueViolation, ValueTooLong } from '../../src/store/errors.js';
import type { NewRefreshToken } from '../../src/store/repos/refresh-tokens.js';
import { upsertResourceServer } from '../../src/store/repos/resource-servers.js';
import { setUserPermissions, setUserRoles, upsertRole } from '../../src/store/repos/roles.js';
import type { Database } from '../../src/store/schema.js';
import { type StoreKind, storeKinds } from '../helpers/stores.js';

/**
 * Shared pieces of the storage conformance suite (see README.md): every
 * contract runs once per database of `storeKinds`, each on a fresh store.
 */
export interface Ctx {
  readonly store: Store;
  readonly db: Kysely<Database>;
  readonly kind: StoreKind['name'];
}

export const T0 = Date.UTC(2026, 0, 1);

/** A refresh-token row for store tests: a live token of alice's, issued at T0; `extra` overrides. */
export function refreshTokenRow(id: string, extra: Partial<NewRefreshToken> = {}): NewRefreshToken {
  return {
    id,
    token_hash: `hash-${id}`,
    family_id: `fam-${id}`,
    client_id: 'acme-web',
    user_id: 'auth0|alice',
    connection_id: 'con_customers',
    audience: 'https://api.example.com/',
    scope: 'openid offline_access',
    created_at: T0,
    family_created_at: T0,
    last_used_at: T0,
    expires_at: T0 + 1000,
    idle_expires_at: T0 + 500,
    rotated_at: null,
    replaced_by: null,
    revoked_at: null,
    ...extra,
  };
}

/** Runs `body` as a suite on each database, with a fresh store for the suite. */
export function contract(name: string, body: (ctx: Ctx) => void): void {
  for (const kind of storeKinds) {
    describe(`${name} contract (${kind.name})`, () => {
      let store: Store | undefined;
      const ctx: Ctx = {
        get store() {
          assert.ok(store, 'the store is opened before the tests');
          return store;
        },
        get db() {
          return ctx.store.db;
        },
        kind: kind.name,
      };
      before(async () => {
        store = await kind.open();
      });
      after(async () => {
        await store?.close();
      });
      body(ctx);
    });
  }
}

/** Strings that must come back exactly: astral planes, RTL, combining marks, ZWJ, quotes, escapes. */
export const AWKWARD = {
  astral: '𝒜𝓁𝒾𝒸ℯ 😀 🀄 𠜎',
  rtl: 'مرحبا بالعالم שלום',
  mixed: 'abc‏مرحبا‎def',
  combining: 'Élodie e\u0301',
  zwj: '👩‍👩‍👧 🏳️‍🌈',
  quotes: `it's "quoted" \\ back\\slash %_ ' ; --`,
  whitespace: ' \t\n\r ',
  bom: '\uFEFFbom',
} as const;

/** One string holding every AWKWARD sample. */
export const AWKWARD_ALL = Object.values(AWKWARD).join(' | ');

/** A JSON value with what a JSON column must keep: nesting, empty containers, unicode, numbers, NUL. */
export const NESTED_JSON = {
  name: AWKWARD_ALL,
  empty_array: [],
  empty_object: {},
  nested: { deep: { deeper: [1, 'two', { three: null, four: [[], [{}]] }] } },
  numbers: [0, -1, 1.5, 2 ** 53 - 1, 1e-7],
  flags: [true, false, null],
  // Escaped by JSON.stringify as \u0000: JSON columns may hold NUL on both databases.
  nul: 'a\u0000b',
  [AWKWARD.astral]: AWKWARD.rtl,
};

/** Runs `n` callers at once; returns how many answered true. */
export async function race(n: number, caller: (i: number) => Promise<boolean>): Promise<number> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => caller(i)));
  return answers.filter(Boolean).length;
}

/** The write must fail with the contract's UniqueViolation naming this key. */
export async function rejectsUnique(p: Promise<unknown>, table: string, columns: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UniqueViolation, `expected a UniqueViolation, got ${e}`);
    assert.equal(e.code, 'ERR_STORE_UNIQUE');
    assert.equal(e.table, table);
    assert.deepEqual(e.columns, columns);
    assert.equal(e.message, `unique key violated: ${table}(${columns.join(', ')})`);
    assert.ok(e.cause, 'the driver error is kept as cause');
    return true;
  });
}

/**
 * Today's NUL behaviour, which differs (the contract: strings never contain
 * NUL, the HTTP edge refuses them). PostgreSQL rejects the statement with
 * NulInText; SQLite stores the string, and `read` gives it back exactly.
 */
export async function nulBehaviour<T>(
  ctx: Ctx,
  write: () => Promise<unknown>,
  read: () => Promise<T>,
  expected: T,
): Promise<void> {
  if (ctx.kind === 'postgres') {
    await assert.rejects(write(), (e: unknown) => {
      assert.ok(e instanceof NulInText, `expected NulInText, got ${e}`);
      assert.equal(e.code, 'ERR_STORE_NUL');
      return true;
    });
    return;
  }
  await write();
  assert.deepEqual(await read(), expected);
}

/** The same for a read by a string holding NUL: PostgreSQL rejects it, SQLite finds nothing. */
export async function nulLookup<T>(ctx: Ctx, read: () => Promise<T>, nothing: T): Promise<void> {
  if (ctx.kind === 'postgres') {
    await assert.rejects(read(), NulInText);
    return;
  }
  assert.deepEqual(await read(), nothing);
}

/**
 * Today's `varchar(n)` behaviour, which differs: PostgreSQL enforces the
 * length (ValueTooLong), SQLite stores any length.
 */
export async function tooLongBehaviour(
  ctx: Ctx,
  limit: number,
  write: () => Promise<unknown>,
): Promise<void> {
  if (ctx.kind === 'postgres') {
    await assert.rejects(write(), (e: unknown) => {
      assert.ok(e instanceof ValueTooLong, `expected ValueTooLong, got ${e}`);
      assert.equal(e.limit, limit);
      return true;
    });
    return;
  }
  await write();
}

/** Asserts the fields of `expected` only (columns added later do not break the contract). */
export function assertFields(actual: object | undefined, expected: Record<string, unknown>): void {
  assert.ok(actual, 'the row exists');
  const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, (actual as any)[k]]));
  assert.deepEqual(picked, expected);
}

/**
 * Two APIs, `rs_read` (identifier `api`) and `rs_other` (`other`), and an
 * authorization for `userId` (an existing user) on both: roles `alpha` and
 * `zeta` + an astral character, and permissions on `api` by role (read:x
 * twice, write:x) and directly (direct:x), with others on `other`.
 */
export async function grantReaderAuthorization(
  db: Kysely<Database>,
  userId: string,
  api: string,
  other: string,
) {
  const rs = (id: string, identifier: string) => ({ id, name: id, identifier, scopes: [] });
  await upsertResourceServer(db, rs('rs_read', api), T0);
  await upsertResourceServer(db, rs('rs_other', other), T0);
  const perm = (on: string, permission_name: string) => ({ resource_server_identifier: on, permission_name });
  const zeta = [perm(api, 'write:x'), perm(api, 'read:x'), perm(other, 'o:1')];
  await upsertRole(db, { id: 'rol_z', name: `zeta ${AWKWARD.astral}`, permissions: zeta }, T0);
  await upsertRole(db, { id: 'rol_a', name: 'alpha', permissions: [perm(api, 'read:x')] }, T0);
  await setUserRoles(db, userId, ['rol_z', 'rol_a']);
  await setUserPermissions(db, userId, [perm(api, 'direct:x'), perm(other, 'o:2')]);
}

/**
 * A user of `connection_id` whose every stored field is awkward (see AWKWARD):
 * email `<rtl>+<name>@Example.com`, username `<zwj><name>`, blocked, with a
 * password hash and metadata.
 */
export function awkwardUser(user_id: string, connection_id: string, name = user_id) {
  return {
    user_id,
    connection_id,
    email: `${AWKWARD.rtl}+${name}@Example.com`,
    username: `${AWKWARD.zwj}${name}`,
    email_verified: true,
    blocked: true,
    profile: { name: AWKWARD.combining },
    app_metadata: { roles: ['a'] },
    user_metadata: { n: 1 },
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  };
}
