// biome-ignore-all lint/suspicious/noTemplateCurlyInString: tenant files spell ${VAR} literally
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/db.js';
import { applyTenant } from '../../src/tenant/apply.js';
import { exportTenant, secretVariable, stringifyTenant } from '../../src/tenant/export.js';
import { escapeReferences, parseTenantFile } from '../../src/tenant/parse.js';
import type { TenantDoc } from '../../src/tenant/schema.js';
import { storeKinds } from '../helpers/stores.js';
import { BOB_PASSWORD, dump, ENV, example } from './helpers.js';

const T0 = 1_700_000_000_000;

/** The example plus the sections it lacks, and strings that look like variables. */
function fullExample(): TenantDoc {
  const doc = example();
  doc.rulesConfigs = [{ key: 'PARTNER_API_KEY', value: 'rules-config-secret-value' }];
  doc.clientGrants = [
    { client_id: 'acme-web', audience: 'https://api.acme.test/orders', scope: ['read:orders'] },
  ];
  doc.rules![0].script = 'function f(u, c, cb) { c.idToken[`${ns}x`] = "$${HOME}"; cb(null, u, c); }';
  doc.clients![0].description = 'costs $$$ ${NOT_A_VAR}';
  return doc;
}

/** The variables an exported file of fullExample() refers to. */
const EXPORT_ENV = {
  CLIENT_SECRET_ACME_WEB: ENV.ACME_WEB_SECRET,
  ACTION_SECRET_DENY_SUSPENDED_SUPPORT_EMAIL: 'help@acme.test',
  RULES_CONFIG_PARTNER_API_KEY: 'rules-config-secret-value',
};

describe('escapeReferences', () => {
  it('round-trips any mix of $, { and } through parsing', () => {
    const samples = ['${A}', '$${A}', '$$${A}', 'a$', '${', '$${', '${a + b}', '$$ {X}', '}${X', 'x$$${Y}$'];
    for (const s of samples) {
      const doc = parseTenantFile(`tenant: { friendly_name: ${JSON.stringify(escapeReferences(s))} }`, {});
      assert.equal(doc.tenant?.friendly_name, s, s);
    }
  });

  it('names secret variables from their parts', () => {
    assert.equal(secretVariable('CLIENT_SECRET', 'acme-web'), 'CLIENT_SECRET_ACME_WEB');
    assert.equal(
      secretVariable('ACTION_SECRET', 'deny suspended!', 'api.key'),
      'ACTION_SECRET_DENY_SUSPENDED_API_KEY',
    );
  });
});

for (const kind of storeKinds) {
  describe(`exportTenant (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
      await applyTenant(store, fullExample(), { now: T0 });
    });
    after(() => store.close());

    it('writes the file shape with no secret, password, hash or internal id', async () => {
      const text = stringifyTenant(await exportTenant(store));
      for (const leak of [
        ENV.ACME_WEB_SECRET,
        ENV.ALICE_PASSWORD,
        BOB_PASSWORD,
        'help@acme.test',
        'rules-config-secret-value',
        '$2b$',
        '$argon2',
        'sha256$',
        'password:',
        'password_hash',
        'con_',
        'rs_',
        'created_at',
        'logins_count',
      ]) {
        assert.ok(!text.includes(leak), `the export contains ${leak}`);
      }
      assert.doesNotMatch(text, /^\s*id:/m);
      assert.match(text, /^ {4}client_secret: \$\{CLIENT_SECRET_ACME_WEB\}$/m);
      assert.match(text, /^ {6}SUPPORT_EMAIL: \$\{ACTION_SECRET_DENY_SUSPENDED_SUPPORT_EMAIL\}$/m);
      assert.match(text, /^ {4}value: \$\{RULES_CONFIG_PARTNER_API_KEY\}$/m);
      assert.equal((text.match(/client_secret:/g) ?? []).length, 1, 'the public client has no secret');
      // Code is written verbatim (it is read verbatim); other literal `${` is escaped.
      assert.ok(text.includes('c.idToken[`${ns}x`] = "$${HOME}"'));
      assert.ok(text.includes('costs $$$ $${NOT_A_VAR}'));
    });

    it('exports what was applied, in the same shape', async () => {
      const doc = await exportTenant(store);
      const src = fullExample();
      assert.deepEqual(doc.tenant, src.tenant);
      assert.deepEqual(
        doc.connections,
        src.connections?.map((c) => ({ ...c, enabled_clients: c.enabled_clients ?? [] })),
      );
      assert.deepEqual(doc.resourceServers, src.resourceServers);
      assert.deepEqual(doc.rules, src.rules);
      assert.deepEqual(doc.guardian, src.guardian);
      assert.deepEqual(doc.attackProtection, src.attackProtection);
      assert.deepEqual(doc.clientGrants, src.clientGrants);
      const { client_secret: _s, ...web } = src.clients![0];
      assert.deepEqual(
        doc.clients?.find((c) => c.client_id === 'acme-web'),
        { ...web, client_secret: '${CLIENT_SECRET_ACME_WEB}' },
      );
      assert.deepEqual(
        doc.users?.find((u) => u.user_id === 'auth0|alice'),
        {
          connection: 'Username-Password-Authentication',
          user_id: 'auth0|alice',
          email: 'alice@acme.test',
          email_verified: true,
          name: 'Alice Example',
          app_metadata: { roles: ['admin'] },
          user_metadata: { locale: 'en' },
        },
      );
      assert.equal((await exportTenant(store, { users: false })).users, undefined);
    });

    it('applying the exported file (with its variables set) changes nothing, even with prune', async () => {
      const rows = await dump(store);
      const text = stringifyTenant(await exportTenant(store));
      const doc = parseTenantFile(text, EXPORT_ENV);
      assert.equal(doc.rules?.[0].script, fullExample().rules?.[0].script);
      assert.equal(
        doc.clients?.find((c) => c.client_id === 'acme-web')?.description,
        'costs $$$ ${NOT_A_VAR}',
      );
      const report = await applyTenant(store, doc, { prune: true, now: T0 + 1000 });
      assert.deepEqual(report, { created: [], updated: [], deleted: [], unchanged: 14 });
      assert.deepEqual(await dump(store), rows);
      // And exporting again gives the same text.
      assert.equal(stringifyTenant(await exportTenant(store)), text);
    });
  });
}
