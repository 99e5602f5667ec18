import assert from 'node:assert/strict';
import { it } from 'node:test';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { findUserForLogin } from '../../src/store/repos/login-read.js';
import { upsertResourceServer } from '../../src/store/repos/resource-servers.js';
import {
  setUserPermissions,
  setUserRoles,
  upsertRole,
  userAuthorization,
} from '../../src/store/repos/roles.js';
import { findUserByIdentifier, recordLogin, upsertUser } from '../../src/store/repos/users.js';
import { AWKWARD, contract, T0 } from './contract.js';

const API = 'https://api.login-read.test/';
const OTHER = 'https://other.login-read.test/';

contract('login-read', (ctx) => {
  const user = (user_id: string, connection_id = 'con_lr') => ({
    user_id,
    connection_id,
    email: `${AWKWARD.rtl}+${user_id.slice(6)}@Example.com`,
    username: `${AWKWARD.zwj}${user_id.slice(6)}`,
    email_verified: true,
    blocked: true,
    profile: { name: AWKWARD.combining },
    app_metadata: { roles: ['a'] },
    user_metadata: { n: 1 },
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  });
  const connection = (id: string) => ({ id, name: id, strategy: 'auth0' as const, enabled_clients: [] });
  const perm = (api: string, permission_name: string) => ({
    resource_server_identifier: api,
    permission_name,
  });

  it("a password login's user with its authorization for the API, in one read: as their own reads give them", async () => {
    await upsertConnection(ctx.db, connection('con_lr'), T0);
    await upsertConnection(ctx.db, connection('con_lr2'), T0);
    const rs = (id: string, identifier: string) => ({ id, name: id, identifier, scopes: [] });
    await upsertResourceServer(ctx.db, rs('rs_lr', API), T0);
    await upsertResourceServer(ctx.db, rs('rs_lr_other', OTHER), T0);
    await upsertRole(
      ctx.db,
      {
        id: 'rol_lz',
        name: `zeta ${AWKWARD.astral}`,
        permissions: [perm(API, 'write:x'), perm(API, 'read:x'), perm(OTHER, 'o:1')],
      },
      T0,
    );
    await upsertRole(ctx.db, { id: 'rol_la', name: 'alpha', permissions: [perm(API, 'read:x')] }, T0);
    await upsertUser(ctx.db, user('auth0|reader'), T0);
    await recordLogin(ctx.db, 'auth0|reader', T0 + 5);
    await setUserRoles(ctx.db, 'auth0|reader', ['rol_lz', 'rol_la']);
    await setUserPermissions(ctx.db, 'auth0|reader', [perm(API, 'direct:x'), perm(OTHER, 'o:2')]);
    await upsertUser(ctx.db, user('auth0|plain'), T0);
    // The same name in another connection is another user.
    await upsertUser(ctx.db, user('auth0|reader2', 'con_lr2'), T0);

    const email = `${AWKWARD.rtl}+reader@example.COM`;
    const found = await findUserForLogin(ctx.db, 'con_lr', email, 'rs_lr');
    assert.deepEqual(found?.user, await findUserByIdentifier(ctx.db, 'con_lr', email));
    assert.equal(found?.user.user_id, 'auth0|reader');
    assert.equal(found?.user.logins_count, 1);
    assert.deepEqual(found?.authorization, {
      roles: ['alpha', `zeta ${AWKWARD.astral}`],
      permissions: ['direct:x', 'read:x', 'write:x'],
    });
    const cases: [identifier: string, apiId: string | undefined, userId: string][] = [
      [`${AWKWARD.zwj}reader`, 'rs_lr', 'auth0|reader'],
      [`${AWKWARD.zwj}READER`, 'rs_lr_other', 'auth0|reader'],
      [email, undefined, 'auth0|reader'],
      [`${AWKWARD.zwj}plain`, 'rs_lr', 'auth0|plain'],
    ];
    for (const [identifier, apiId, userId] of cases) {
      const read = await findUserForLogin(ctx.db, 'con_lr', identifier, apiId);
      assert.equal(read?.user.user_id, userId, identifier);
      assert.deepEqual(
        read?.authorization,
        await userAuthorization(ctx.db, userId, apiId),
        `${identifier} ${apiId}`,
      );
    }
    assert.deepEqual((await findUserForLogin(ctx.db, 'con_lr', email, undefined))?.authorization, {
      roles: ['alpha', `zeta ${AWKWARD.astral}`],
      permissions: [],
    });
    assert.deepEqual(
      (await findUserForLogin(ctx.db, 'con_lr', `${AWKWARD.zwj}plain`, 'rs_lr'))?.authorization,
      {
        roles: [],
        permissions: [],
      },
    );
    assert.equal(await findUserForLogin(ctx.db, 'con_lr', 'nobody@example.com', 'rs_lr'), undefined);
    assert.equal((await findUserForLogin(ctx.db, 'con_lr2', email, 'rs_lr'))?.user.user_id, undefined);
    assert.equal(
      (await findUserForLogin(ctx.db, 'con_lr2', `${AWKWARD.rtl}+reader2@example.com`, 'rs_lr'))?.user
        .user_id,
      'auth0|reader2',
    );
  });
});
