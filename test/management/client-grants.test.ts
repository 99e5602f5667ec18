import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isManagementAudience } from '../../src/schemas/management.js';
import type { TenantDoc } from '../../src/tenant/schema.js';
import { referenceErrors } from '../../src/tenant/references.js';

const doc = (audience: string, scope: string[]) =>
  ({
    clients: [{ client_id: 'backend', name: 'Backend', grant_types: ['client_credentials'] }],
    clientGrants: [{ client_id: 'backend', audience, scope }],
  }) as unknown as TenantDoc;

const known = { connections: [], clients: [], apis: [] };

describe('client grants for the built-in Management API', () => {
  it('accept <issuer>api/v2/ and Auth0 management scopes without an API definition', () => {
    assert.deepEqual(
      referenceErrors(doc('https://auth.acme.test/api/v2/', ['read:users', 'create:users']), known),
      [],
    );
    assert.deepEqual(referenceErrors(doc('https://acme.test/tenant/api/v2/', ['read:logs']), known), []);
  });

  it('refuse a scope the Management API does not have, by name', () => {
    assert.deepEqual(
      referenceErrors(doc('https://auth.acme.test/api/v2/', ['read:users', 'read:orders']), known),
      ['clientGrants[0].scope[1]: "read:orders" is not a Management API scope (e.g. read:users)'],
    );
  });

  it('still check other audiences against the APIs', () => {
    assert.deepEqual(referenceErrors(doc('https://api.acme.test/orders', ['read:orders']), known), [
      'clientGrants[0].audience: unknown API "https://api.acme.test/orders"',
    ]);
  });

  it('know what a Management API audience looks like', () => {
    assert.equal(isManagementAudience('https://tessera.test/api/v2/'), true);
    assert.equal(isManagementAudience('http://localhost:8443/api/v2/'), true);
    assert.equal(isManagementAudience('https://tessera.test/api/v2'), false);
    assert.equal(isManagementAudience('https://tessera.test/api/v2/users'), false);
    assert.equal(isManagementAudience('https://tessera.test/?x=/api/v2/'), false);
  });
});
