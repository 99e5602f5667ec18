import assert from 'node:assert/strict';
import { it } from 'node:test';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { findRefreshTokenForGrant } from '../../src/store/repos/refresh-read.js';
import {
  consumeRefreshToken,
  findRefreshTokenByHash,
  insertRefreshToken,
  type NewRefreshToken,
} from '../../src/store/repos/refresh-tokens.js';
import { userAuthorization } from '../../src/store/repos/roles.js';
import { deleteUser, findUserById, recordLogin, upsertUser } from '../../src/store/repos/users.js';
import { AWKWARD, awkwardUser, contract, grantReaderAuthorization, refreshTokenRow, T0 } from './contract.js';

const API = 'https://api.read.test/';
const OTHER = 'https://other.read.test/';

contract('refresh-read', (ctx) => {
  const token = (id: string, extra: Partial<NewRefreshToken> = {}): NewRefreshToken =>
    refreshTokenRow(id, { user_id: 'auth0|reader', connection_id: 'con_read', audience: API, ...extra });
  const user = (user_id: string) => awkwardUser(user_id, 'con_read');

  it('the token with its user, in one read: the same rows as their own reads, no user once deleted', async () => {
    await upsertConnection(
      ctx.db,
      { id: 'con_read', name: 'con_read', strategy: 'auth0', enabled_clients: [] },
      T0,
    );
    const id = `auth0|${AWKWARD.astral}`;
    await upsertUser(ctx.db, user(id), T0);
    await recordLogin(ctx.db, id, T0 + 5);
    await insertRefreshToken(ctx.db, token('rt_wu', { user_id: id, parent_id: 'rt_x' }));
    await consumeRefreshToken(ctx.db, 'rt_wu', { id: 'rt_wu2', sealed: 'sealed-wu' }, T0 + 1);
    const found = await findRefreshTokenForGrant(ctx.db, 'hash-rt_wu');
    assert.deepEqual(found?.token, await findRefreshTokenByHash(ctx.db, 'hash-rt_wu'));
    assert.deepEqual(found?.user, await findUserById(ctx.db, id));
    assert.equal(found?.user?.logins_count, 1);
    await deleteUser(ctx.db, id);
    const gone = await findRefreshTokenForGrant(ctx.db, 'hash-rt_wu');
    assert.deepEqual(gone?.token, await findRefreshTokenByHash(ctx.db, 'hash-rt_wu'));
    assert.equal(gone?.user, undefined);
    assert.equal(await findRefreshTokenForGrant(ctx.db, 'hash-none'), undefined);
  });

  it("and the user's authorization for the token's API, as userAuthorization reads it", async () => {
    await upsertConnection(
      ctx.db,
      { id: 'con_read', name: 'con_read', strategy: 'auth0', enabled_clients: [] },
      T0,
    );
    await upsertUser(ctx.db, user('auth0|reader'), T0);
    await grantReaderAuthorization(ctx.db, 'auth0|reader', API, OTHER);
    await upsertUser(ctx.db, user('auth0|none'), T0);

    const cases = [
      { id: 'rt_api', audience: API, userId: 'auth0|reader', apiId: 'rs_read' },
      { id: 'rt_noaud', audience: null, userId: 'auth0|reader', apiId: null },
      { id: 'rt_unknown', audience: 'https://gone.test/', userId: 'auth0|reader', apiId: null },
      { id: 'rt_none', audience: API, userId: 'auth0|none', apiId: 'rs_read' },
    ];
    for (const c of cases) {
      await insertRefreshToken(ctx.db, token(c.id, { audience: c.audience, user_id: c.userId }));
      const found = await findRefreshTokenForGrant(ctx.db, `hash-${c.id}`);
      assert.deepEqual(
        found?.authorization,
        { apiId: c.apiId, ...(await userAuthorization(ctx.db, c.userId, c.apiId ?? undefined)) },
        c.id,
      );
    }
    assert.deepEqual((await findRefreshTokenForGrant(ctx.db, 'hash-rt_api'))?.authorization, {
      apiId: 'rs_read',
      roles: ['alpha', `zeta ${AWKWARD.astral}`],
      permissions: ['direct:x', 'read:x', 'write:x'],
    });
    assert.deepEqual((await findRefreshTokenForGrant(ctx.db, 'hash-rt_none'))?.authorization, {
      apiId: 'rs_read',
      roles: [],
      permissions: [],
    });
  });
});
