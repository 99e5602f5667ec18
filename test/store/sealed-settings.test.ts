import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { loadConfig } from '../../src/config/config.js';
import { createRuntime } from '../../src/runtime.js';
import type { Store } from '../../src/store/db.js';
import { getSetting, putSetting } from '../../src/store/repos/settings.js';
import { applyTenant } from '../../src/tenant/apply.js';
import { ALICE_LOGIN, silentLogger, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const NS = 'https://acme.test/';
const ACTION_SECRET = 'action-secret-value-7f3a';
const CONFIG_VALUE = 'rules-config-value-91bc';

/** The setting's row as the database holds it. */
async function stored(store: Store, key: string): Promise<string> {
  const row = await store.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  assert.ok(row, `no setting ${key}`);
  return row.value;
}

/**
 * Action secrets and rules-config values are secrets: the database holds
 * them sealed under TESSERA_SECRET (AES-256-GCM), never in the clear, while
 * scripts, the Management API and `tessera export` see what was written.
 */
for (const kind of storeKinds) {
  describe(`secret settings are sealed at rest (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    it('applied secrets are stored sealed, and scripts read them in the clear', async () => {
      await applyTenant(t.rt.store, {
        rulesConfigs: [{ key: 'GREETING', value: CONFIG_VALUE }],
        rules: [
          {
            name: 'greet',
            script: `function (user, context, callback) { context.accessToken['${NS}config'] = configuration.GREETING; callback(null, user, context); }`,
          },
        ],
        actions: [
          {
            name: 'secretive',
            trigger: 'post-login',
            secrets: { TOKEN: ACTION_SECRET },
            code: `exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('${NS}secret', event.secrets.TOKEN); };`,
          },
        ],
      });
      for (const key of ['actions', 'rulesConfigs']) {
        const raw = await stored(t.rt.store, key);
        assert.ok(!raw.includes(ACTION_SECRET) && !raw.includes(CONFIG_VALUE), `${key} at rest: ${raw}`);
        assert.match(raw, /"sealed":"v1\./);
      }
      assert.deepEqual(await getSetting(t.rt.store.db, 'rulesConfigs'), [
        { key: 'GREETING', value: CONFIG_VALUE },
      ]);
      const res = await tokenRequest(t.app, ALICE_LOGIN);
      assert.equal(res.statusCode, 200, res.body);
      const claims = decodeJwt(res.json().access_token);
      assert.equal(claims[`${NS}secret`], ACTION_SECRET);
      assert.equal(claims[`${NS}config`], CONFIG_VALUE);
      // Applying the same file again changes nothing (the stored values compare in the clear).
      const again = await applyTenant(t.rt.store, {
        rulesConfigs: [{ key: 'GREETING', value: CONFIG_VALUE }],
      });
      assert.deepEqual(again.updated, []);
    });
  });

  describe(`secrets stored plain before sealing existed (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
    });
    after(() => store.close());
    const config = (secret: string) =>
      loadConfig({ TESSERA_ISSUER: 'https://tessera.test/', TESSERA_SECRET: secret });

    it('are sealed at boot; a boot with another TESSERA_SECRET is refused by name', async () => {
      // A bare store (no TESSERA_SECRET) writes them as earlier versions did.
      await putSetting(store.db, 'rulesConfigs', [{ key: 'API_KEY', value: CONFIG_VALUE }]);
      assert.match(await stored(store, 'rulesConfigs'), new RegExp(CONFIG_VALUE));
      const secret = 'first-secret-first-secret-first-secret-01';
      await createRuntime(config(secret), { store, log: silentLogger() });
      const raw = await stored(store, 'rulesConfigs');
      assert.ok(!raw.includes(CONFIG_VALUE), raw);
      assert.deepEqual(await getSetting(store.db, 'rulesConfigs'), [{ key: 'API_KEY', value: CONFIG_VALUE }]);
      await assert.rejects(
        createRuntime(config('other-secret-other-secret-other-secret-02'), { store, log: silentLogger() }),
        /the secrets of the setting rulesConfigs were sealed under another TESSERA_SECRET/,
      );
    });
  });
}
