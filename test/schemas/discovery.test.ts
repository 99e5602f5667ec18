import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { Jwks, OpenIdConfiguration } from '../../src/schemas/discovery.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

describe('the /.well-known/ response schemas', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(storeKinds[0]);
  });
  after(() => t.close());

  it('describe what is served, every member included', async () => {
    for (const [url, schema] of [
      ['/.well-known/openid-configuration', OpenIdConfiguration],
      ['/.well-known/jwks.json', Jwks],
    ] as const) {
      const body = (await t.app.inject({ url })).json();
      assert.deepEqual([...Value.Errors(schema, body)], [], url);
      // The serializer writes only the schema's properties: none may be missing from it.
      if (schema === OpenIdConfiguration) assert.deepEqual(Object.keys(body), Object.keys(schema.properties));
    }
  });
});
