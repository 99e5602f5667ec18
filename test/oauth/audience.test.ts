import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CodedError } from '../../src/errors/index.js';
import { findApi, resolveAudience } from '../../src/oauth/audience.js';
import type { Runtime } from '../../src/runtime.js';
import type { Store } from '../../src/store/db.js';
import { upsertResourceServer } from '../../src/store/repos/resource-servers.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { API, ISSUER } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

for (const kind of storeKinds) {
  describe(`oauth/audience (${kind.name})`, () => {
    let store: Store;
    let rt: Runtime;

    before(async () => {
      store = await kind.open();
      rt = { config: { issuer: ISSUER }, store } as unknown as Runtime;
      await upsertResourceServer(
        store.db,
        { id: 'rs_orders', identifier: API, scopes: [{ value: 'read:orders' }], token_lifetime: 7200 },
        Date.now(),
      );
    });
    after(() => store.close());

    it('answers no API when neither audience nor a default_audience is set', async () => {
      assert.equal(await resolveAudience(rt, undefined), undefined);
    });

    it('finds the API named by audience', async () => {
      const api = await resolveAudience(rt, API);
      assert.equal(api?.id, 'rs_orders');
      assert.deepEqual(api?.scopes, [{ value: 'read:orders' }]);
    });

    it('answers access_denied naming an unknown API, as Auth0 does', async () => {
      await assert.rejects(
        resolveAudience(rt, 'https://nope.acme.test/'),
        (e: Error) =>
          e instanceof CodedError &&
          e.code === 'ERR_ACCESS_DENIED' &&
          e.message === 'Service not found: https://nope.acme.test/',
      );
    });

    it('knows the built-in MFA API under the issuer: 10-minute tokens, no refresh', async () => {
      const mfa = await findApi(rt, `${ISSUER}mfa/`);
      assert.deepEqual(mfa, {
        id: 'rs_mfa',
        name: 'MFA API',
        identifier: `${ISSUER}mfa/`,
        scopes: [{ value: 'enroll' }, { value: 'read:authenticators' }, { value: 'remove:authenticators' }],
        token_lifetime: 600,
        allow_offline_access: false,
      });
    });

    it("falls back to the tenant's default_audience", async () => {
      await putSetting(store.db, 'tenant', { default_audience: API });
      assert.equal((await resolveAudience(rt, undefined))?.identifier, API);
    });
  });
}
