import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definedPermissions, narrowToPermissions, parseScope } from '../../src/tokens/scopes.js';
import type { ResourceServer } from '../../src/store/repos/resource-servers.js';

const ORDERS: ResourceServer = {
  id: 'rs_orders',
  identifier: 'https://api.acme.test/orders',
  scopes: [{ value: 'read:orders' }, { value: 'write:orders' }],
};

describe('tokens/scopes', () => {
  it('splits a scope parameter on spaces, dropping empties and duplicates, in order', () => {
    assert.deepEqual(parseScope(undefined), []);
    assert.deepEqual(parseScope(''), []);
    assert.deepEqual(parseScope('  openid  email openid read:orders '), ['openid', 'email', 'read:orders']);
  });

  it('narrows to the permissions held (RBAC), keeping the OIDC scopes', () => {
    assert.deepEqual(
      narrowToPermissions(['openid', 'offline_access', 'read:orders', 'write:orders'], ['read:orders']),
      ['openid', 'offline_access', 'read:orders'],
    );
    assert.deepEqual(narrowToPermissions(['read:orders'], []), []);
  });

  it("names only the API's own scopes in the permissions claim", () => {
    assert.deepEqual(definedPermissions(ORDERS, ['write:orders', 'admin', 'read:orders']), [
      'write:orders',
      'read:orders',
    ]);
  });

  it('follows the API row: a scope removed (a new row, as a configuration change gives) is no longer named', () => {
    const perms = ['write:orders', 'read:orders'];
    assert.deepEqual(definedPermissions(ORDERS, perms), perms);
    assert.deepEqual(definedPermissions(ORDERS, perms), perms, 'asked again of the same row');
    const changed: ResourceServer = { ...ORDERS, scopes: [{ value: 'read:orders' }] };
    assert.deepEqual(definedPermissions(changed, perms), ['read:orders']);
    assert.deepEqual(definedPermissions(ORDERS, perms), perms, 'the old row is unchanged');
  });
});
