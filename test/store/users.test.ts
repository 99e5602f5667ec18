import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { deleteConnection, upsertConnection } from '../../src/store/repos/connections.js';
import {
  deleteUser,
  existingUserIds,
  findUserById,
  findUserByIdentifier,
  findUsersByIdentifiers,
  insertUsers,
  listUsers,
  recordLogin,
  setPasswordHash,
  upsertUser,
} from '../../src/store/repos/users.js';
import {
  AWKWARD,
  AWKWARD_ALL,
  assertFields,
  contract,
  NESTED_JSON,
  nulBehaviour,
  nulLookup,
  rejectsUnique,
  T0,
  tooLongBehaviour,
} from './contract.js';

contract('users', (ctx) => {
  const conn = (id: string) => ({ id, name: id, strategy: 'auth0', enabled_clients: [] });
  before(async () => {
    await upsertConnection(ctx.db, conn('con_a'), T0);
    await upsertConnection(ctx.db, conn('con_b'), T0);
  });

  it('round-trips every field, JSON columns included', async () => {
    await upsertUser(
      ctx.db,
      {
        user_id: `auth0|${AWKWARD.astral}`,
        connection_id: 'con_a',
        email: `${AWKWARD.rtl}@example.com`,
        username: AWKWARD.zwj,
        email_verified: true,
        blocked: true,
        profile: { name: AWKWARD_ALL, nickname: AWKWARD.combining, extra: NESTED_JSON },
        app_metadata: { roles: [], nested: NESTED_JSON },
        user_metadata: {},
        password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
      },
      T0,
    );
    const u = await findUserById(ctx.db, `auth0|${AWKWARD.astral}`);
    assertFields(u, {
      user_id: `auth0|${AWKWARD.astral}`,
      connection_id: 'con_a',
      email: `${AWKWARD.rtl}@example.com`,
      username: AWKWARD.zwj,
      email_verified: true,
      blocked: true,
      profile: { name: AWKWARD_ALL, nickname: AWKWARD.combining, extra: NESTED_JSON },
      app_metadata: { roles: [], nested: NESTED_JSON },
      user_metadata: {},
      logins_count: 0,
      last_login: null,
      created_at: T0,
      updated_at: T0,
      password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    });
  });

  it('defaults: no email, username, hash; false flags; empty JSON objects', async () => {
    await upsertUser(ctx.db, { user_id: 'auth0|bare', connection_id: 'con_a' }, T0);
    assertFields(await findUserById(ctx.db, 'auth0|bare'), {
      email: null,
      username: null,
      email_verified: false,
      blocked: false,
      profile: {},
      app_metadata: {},
      user_metadata: {},
      password_hash: null,
    });
  });

  it('an upsert replaces attributes, keeps created_at, login counters and (when undefined) the hash', async () => {
    await upsertUser(
      ctx.db,
      { user_id: 'auth0|up', connection_id: 'con_a', email: 'up@x.test', password_hash: 'h1' },
      T0,
    );
    await recordLogin(ctx.db, 'auth0|up', T0 + 5);
    await upsertUser(ctx.db, { user_id: 'auth0|up', connection_id: 'con_a', username: 'upper' }, T0 + 10);
    assertFields(await findUserById(ctx.db, 'auth0|up'), {
      email: null,
      username: 'upper',
      password_hash: 'h1',
      logins_count: 1,
      last_login: T0 + 5,
      created_at: T0,
      updated_at: T0 + 10,
    });
    await upsertUser(ctx.db, { user_id: 'auth0|up', connection_id: 'con_a', password_hash: null }, T0 + 20);
    assert.equal((await findUserById(ctx.db, 'auth0|up'))?.password_hash, null);
    await setPasswordHash(ctx.db, 'auth0|up', 'h2', T0 + 30);
    assertFields(await findUserById(ctx.db, 'auth0|up'), { password_hash: 'h2', updated_at: T0 + 30 });
  });

  it('finds by email or username case-insensitively, within one connection', async () => {
    await upsertUser(
      ctx.db,
      { user_id: 'auth0|ci', connection_id: 'con_a', email: 'Élodie@Example.COM', username: 'ÉLO' },
      T0,
    );
    assert.equal((await findUserByIdentifier(ctx.db, 'con_a', 'élodie@example.com'))?.user_id, 'auth0|ci');
    assert.equal((await findUserByIdentifier(ctx.db, 'con_a', 'élo'))?.user_id, 'auth0|ci');
    assert.equal(await findUserByIdentifier(ctx.db, 'con_b', 'élo'), undefined);
    const found = await findUsersByIdentifiers(ctx.db, 'con_a', ['ÉLODIE@EXAMPLE.COM', 'élo', 'nobody']);
    assert.deepEqual(
      found.map((u) => u.user_id),
      ['auth0|ci'],
    );
    assert.deepEqual(await findUsersByIdentifiers(ctx.db, 'con_a', []), []);
  });

  it('email and username are unique per connection, case-insensitively: UniqueViolation', async () => {
    await upsertUser(
      ctx.db,
      { user_id: 'auth0|u1', connection_id: 'con_a', email: 'dup@x.test', username: 'dup' },
      T0,
    );
    await rejectsUnique(
      upsertUser(ctx.db, { user_id: 'auth0|u2', connection_id: 'con_a', email: 'DUP@x.test' }, T0),
      'users',
      ['connection_id', 'email_lower'],
    );
    await rejectsUnique(
      upsertUser(ctx.db, { user_id: 'auth0|u2', connection_id: 'con_a', username: 'Dup' }, T0),
      'users',
      ['connection_id', 'username_lower'],
    );
    // Another connection may hold the same identifiers.
    await upsertUser(
      ctx.db,
      { user_id: 'auth0|u2', connection_id: 'con_b', email: 'dup@x.test', username: 'dup' },
      T0,
    );
    assert.equal((await findUserByIdentifier(ctx.db, 'con_b', 'dup'))?.user_id, 'auth0|u2');
  });

  it('insertUsers inserts all or nothing; a taken user_id is a UniqueViolation', async () => {
    await insertUsers(
      ctx.db,
      [
        { user_id: 'auth0|b1', connection_id: 'con_a', email: 'b1@x.test' },
        { user_id: 'auth0|b2', connection_id: 'con_a', email: 'b2@x.test' },
      ],
      T0,
    );
    await rejectsUnique(
      insertUsers(
        ctx.db,
        [
          { user_id: 'auth0|b3', connection_id: 'con_a', email: 'b3@x.test' },
          { user_id: 'auth0|b1', connection_id: 'con_b' },
        ],
        T0,
      ),
      'users',
      ['id'],
    );
    assert.deepEqual([...(await existingUserIds(ctx.db, ['auth0|b1', 'auth0|b2', 'auth0|b3']))].sort(), [
      'auth0|b1',
      'auth0|b2',
    ]);
    await insertUsers(ctx.db, [], T0);
  });

  it('logins_count counts every one of racing logins', async () => {
    await upsertUser(ctx.db, { user_id: 'auth0|count', connection_id: 'con_a' }, T0);
    await Promise.all(Array.from({ length: 10 }, (_, i) => recordLogin(ctx.db, 'auth0|count', T0 + i)));
    const u = await findUserById(ctx.db, 'auth0|count');
    assert.equal(u?.logins_count, 10);
    assert.ok(u.last_login !== null && u.last_login >= T0 && u.last_login <= T0 + 9);
  });

  it('lists by user_id, optionally of one connection; deleting a connection deletes its users', async () => {
    await upsertConnection(ctx.db, conn('con_list'), T0);
    for (const id of ['auth0|l3', 'auth0|l1', 'auth0|l2']) {
      await upsertUser(ctx.db, { user_id: id, connection_id: 'con_list' }, T0);
    }
    assert.deepEqual(
      (await listUsers(ctx.db, 'con_list')).map((u) => u.user_id),
      ['auth0|l1', 'auth0|l2', 'auth0|l3'],
    );
    const all = (await listUsers(ctx.db)).map((u) => u.user_id);
    assert.deepEqual(all, [...all].sort());
    await deleteUser(ctx.db, 'auth0|l2');
    assert.equal(await findUserById(ctx.db, 'auth0|l2'), undefined);
    await deleteConnection(ctx.db, 'con_list');
    assert.deepEqual(await listUsers(ctx.db, 'con_list'), []);
  });

  it('NUL: PostgreSQL refuses it with NulInText; SQLite stores it (the contract excludes it)', async () => {
    await nulBehaviour(
      ctx,
      () => upsertUser(ctx.db, { user_id: 'auth0|nul', connection_id: 'con_a', username: 'a\u0000b' }, T0),
      async () => (await findUserById(ctx.db, 'auth0|nul'))?.username,
      'a\u0000b',
    );
    await nulLookup(ctx, () => findUserByIdentifier(ctx.db, 'con_a', 'nobody\u0000'), undefined);
    // Inside JSON, NUL is escaped (\u0000): both databases keep it.
    await upsertUser(
      ctx.db,
      { user_id: 'auth0|nul-json', connection_id: 'con_a', user_metadata: { s: 'a\u0000b' } },
      T0,
    );
    assert.deepEqual((await findUserById(ctx.db, 'auth0|nul-json'))?.user_metadata, { s: 'a\u0000b' });
  });

  it('an over-long username: PostgreSQL refuses it (varchar(255)), SQLite stores it', async () => {
    await tooLongBehaviour(ctx, 255, () =>
      upsertUser(ctx.db, { user_id: 'auth0|long', connection_id: 'con_a', username: 'x'.repeat(256) }, T0),
    );
    // Lengths count characters, not bytes or UTF-16 units: 255 astral characters fit.
    const astral = '😀'.repeat(255);
    await upsertUser(ctx.db, { user_id: 'auth0|astral', connection_id: 'con_a', username: astral }, T0);
    assert.equal((await findUserById(ctx.db, 'auth0|astral'))?.username, astral);
  });
});
