import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyTenant } from '../../src/tenant/apply.js';
import { exportTenant, secretVariable, stringifyTenant } from '../../src/tenant/export.js';
import { parseTenantFile } from '../../src/tenant/parse.js';
import { type ManagementHarness, startManagement } from '../helpers/management.js';
import { storeKinds } from '../helpers/stores.js';
import { CLAIM_RULE, CONFIG_SCOPES } from './config-helpers.js';

for (const kind of storeKinds) {
  describe(`tessera export after Management API changes (${kind.name})`, () => {
    let h: ManagementHarness;
    before(async () => {
      h = await startManagement(kind, { scopes: CONFIG_SCOPES });
    });
    after(() => h.close());

    it('writes a client and a rule created through the API; applying the export to a fresh database gives the same objects', async () => {
      const client = (
        await h.management.clients.create({
          name: 'Shop backend',
          grant_types: ['client_credentials'],
        })
      ).data;
      const rule = (await h.management.rules.create({ name: 'claim', script: CLAIM_RULE })).data;

      const exported = await exportTenant(h.rt.store, { users: false });
      const yaml = stringifyTenant(exported);
      const variable = secretVariable('CLIENT_SECRET', client.client_id);
      assert.ok(yaml.includes(`client_id: ${client.client_id}\n`));
      assert.ok(yaml.includes(`client_secret: \${${variable}}`));
      assert.match(yaml, /name: claim/);
      assert.ok(yaml.includes(CLAIM_RULE));

      const env: Record<string, string> = {};
      for (const c of exported.clients ?? [])
        if (c.token_endpoint_auth_method !== 'none')
          env[secretVariable('CLIENT_SECRET', c.client_id)] = `${c.client_id}-secret-0123456789`;
      env[variable] = client.client_secret!;
      const fresh = await kind.open();
      try {
        await applyTenant(fresh, parseTenantFile(yaml, env));
        assert.deepEqual(await exportTenant(fresh, { users: false }), exported);
        const rules = exported.rules ?? [];
        assert.deepEqual(rules, [{ name: 'claim', script: CLAIM_RULE }]);
        assert.equal(rule.name, 'claim');
      } finally {
        await fresh.close();
      }
    });
  });
}
