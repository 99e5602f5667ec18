import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALICE, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

for (const kind of storeKinds) {
  describe(`smoke (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());
    it('logs alice in', async () => {
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        username: ALICE.email,
        password: ALICE.password,
        client_id: 'acme-web',
        client_secret: SECRET,
        scope: 'openid',
      });
      console.log(res.statusCode, res.body.slice(0, 300), res.headers);
      assert.equal(res.statusCode, 200);
    });
  });
}
