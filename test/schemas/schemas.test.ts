import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { GRANTS } from '../../src/oauth/grants/index.js';
import { Client } from '../../src/schemas/client.js';
import { GRANT_TYPES } from '../../src/schemas/grant-types.js';
import { compile, formatIssue } from '../../src/schemas/validate.js';
import { TenantFile } from '../../src/tenant/schema.js';

describe('object schemas', () => {
  it('list exactly the grant types the token endpoint serves', () => {
    assert.deepEqual([...GRANT_TYPES].sort(), [...GRANTS.keys()].sort());
  });

  it('name paths as the tenant file does, keys with / and ~ included', () => {
    const client = compile(Client);
    const value = {
      name: 'A',
      client_id: 'a',
      token_endpoint_auth_method: 'none',
      grant_types: ['password', 'pasword'],
      client_metadata: { 'a/b~c': 1 },
    };
    assert.equal(client.check(value), false);
    assert.deepEqual(client.issues(value).map(formatIssue), [
      'grant_types[1]: unknown grant type "pasword"',
      'client_metadata.a/b~c: must be a string',
    ]);
  });

  it('tell unknown fields first, then the fields in schema order, one issue per path', () => {
    const v = compile(
      Type.Object(
        { a: Type.String(), b: Type.Integer({ minimum: 1, maximum: 2 }) },
        { additionalProperties: false },
      ),
    );
    assert.deepEqual(v.issues({ b: 1.5, z: 1 }).map(formatIssue), [
      'z: unknown field',
      'a: missing required field',
      'b: must be an integer between 1 and 2',
    ]);
    assert.deepEqual(v.issues([]).map(formatIssue), ['(top level): must be a mapping']);
    assert.deepEqual(v.issues({ a: '', b: 1 }), []);
  });

  it('carry a description on every field, for the OpenAPI document', () => {
    const missing: string[] = [];
    const walk = (s: any, path: string) => {
      for (const [k, p] of Object.entries<any>(s.properties ?? {})) {
        if (!p.description) missing.push(`${path}.${k}`);
        walk(p, `${path}.${k}`);
        if (p.items) walk(p.items, `${path}.${k}[]`);
      }
    };
    walk(TenantFile, '(tenant file)');
    assert.deepEqual(missing, []);
  });
});
