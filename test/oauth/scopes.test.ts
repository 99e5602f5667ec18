import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideScopes } from '../../src/oauth/scopes.js';
import type { ResourceServer } from '../../src/store/repos/resource-servers.js';

const ORDERS: ResourceServer = {
  id: 'rs_orders',
  identifier: 'https://api.acme.test/orders',
  scopes: [{ value: 'read:orders' }, { value: 'write:orders' }],
};
describe('oauth/scopes', () => {
  it('expands openid alone to the standard profile scopes, and says the grant differs', () => {
    assert.deepEqual(decideScopes(['openid'], undefined, { allowOffline: false }), {
      granted: ['openid', 'profile', 'email', 'address', 'phone'],
      differs: true,
    });
  });

  it('grants what was asked when the grant is the request, and then does not echo scope', () => {
    assert.deepEqual(decideScopes(['openid', 'email'], undefined, { allowOffline: false }), {
      granted: ['openid', 'email'],
      differs: false,
    });
  });

  it('drops unknown scopes, and offline_access unless a refresh token will be issued', () => {
    assert.deepEqual(
      decideScopes(['openid', 'offline_access', 'bogus'], undefined, { allowOffline: false }),
      {
        granted: ['openid'],
        differs: true,
      },
    );
    assert.deepEqual(decideScopes(['openid', 'offline_access'], undefined, { allowOffline: true }).granted, [
      'openid',
      'offline_access',
    ]);
  });

  it("grants all of an API's scopes when none is asked, else the asked ones it defines", () => {
    assert.deepEqual(decideScopes(['openid'], ORDERS, { allowOffline: false }).granted, [
      'openid',
      'profile',
      'email',
      'address',
      'phone',
      'read:orders',
      'write:orders',
    ]);
    assert.deepEqual(
      decideScopes(['email', 'write:orders', 'delete:orders'], ORDERS, { allowOffline: false }),
      {
        granted: ['email', 'write:orders'],
        differs: true,
      },
    );
    assert.deepEqual(decideScopes([], ORDERS, { allowOffline: false }), {
      granted: ['read:orders', 'write:orders'],
      differs: true,
    });
  });
});
