import assert from 'node:assert/strict';
import { it } from 'node:test';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { findUserForLogin } from '../../src/store/repos/login-read.js';
import { userAuthorization } from '../../src/store/repos/roles.js';
import { findUserByIdentifier, recordLogin, upsertUser } from '../../src/store/repos/users.js';
import { AWKWARD, awkwardUser, contract, grantReaderAuthorization, T0 } from './contract.js';

const API = 'https://api.login-read.test/';
const OTHER = 'https://other.login-read.test/';

contract('login-read', (ctx) => {
  const user = (user_id: string, connection_id = 'con_lr') =>
    awkwardUser(user_id, connection_id, user_id.slice(6));
  const connection = (id: string) => ({ id, name: id, strategy: 'auth0' as const, enabled_clients: [] });

  it("a password login's user with its authorization for the API, in one read: as their own reads give them", async () => {
    await upsertConnection(ctx.db, connection('con_lr'), T0);
    await upsertConnection(ctx.db, connection('con_lr2'), T0);
    await upsertUser(ctx.db, user('auth0|reader'), T0);
    await recordLogin(ctx.db, 'auth0|reader', T0 + 5);
    await grantReaderAuthorization(ctx.db, 'auth0|reader', API, OTHER);
    await upsertUser(ctx.db, user('auth0|plain'), T0);
    // The same name in another connection is another user.
    await upsertUser(ctx.db, user('auth0|reader2', 'con_lr2'), T0);

    const email = `${AWKWARD.rtl}+reader@example.COM`;
    const found = await findUserForLogin(ctx.db, 'con_lr', email, 'rs_read');
    assert.deepEqual(found?.user, await findUserByIdentifier(ctx.db, 'con_lr', email));
    assert.equal(found?.user.user_id, 'auth0|reader');
    assert.equal(found?.user.logins_count, 1);
    assert.deepEqual(found?.authorization, {
      roles: ['alpha', `zeta ${AWKWARD.astral}`],
      permissions: ['direct:x', 'read:x', 'write:x'],
    });
    const cases: [identifier: string, apiId: string | undefined, userId: string][] = [
      [`${AWKWARD.zwj}reader`, 'rs_read', 'auth0|reader'],
      [`${AWKWARD.zwj}READER`, 'rs_other', 'auth0|reader'],
      [email, undefined, 'auth0|reader'],
      [`${AWKWARD.zwj}plain`, 'rs_read', 'auth0|plain'],
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
      (await findUserForLogin(ctx.db, 'con_lr', `${AWKWARD.zwj}plain`, 'rs_read'))?.authorization,
      {
        roles: [],
        permissions: [],
      },
    );
    assert.equal(await findUserForLogin(ctx.db, 'con_lr', 'nobody@example.com', 'rs_read'), undefined);
    assert.equal((await findUserForLogin(ctx.db, 'con_lr2', email, 'rs_read'))?.user.user_id, undefined);
    assert.equal(
      (await findUserForLogin(ctx.db, 'con_lr2', `${AWKWARD.rtl}+reader2@example.com`, 'rs_read'))?.user
        .user_id,
      'auth0|reader2',
    );
  });
});
