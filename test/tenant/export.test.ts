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
          roles: ['order-reader'],
          permissions: [
            { resource_server_identifier: 'https://api.acme.test/orders', permission_name: 'write:orders' },
          ],
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
      assert.deepEqual(report, { created: [], updated: [], deleted: [], unchanged: 16 });
      assert.deepEqual(await dump(store), rows);
      // And exporting again gives the same text.
      assert.equal(stringifyTenant(await exportTenant(store)), text);
    });
  });
}

for (const kind of storeKinds) {
  describe(`re-applying an export without its variables (${kind.name})`, () => {
    let store: Store;
    let text: string;
    before(async () => {
      store = await kind.open();
      await applyTenant(store, fullExample(), { now: T0 });
      text = stringifyTenant(await exportTenant(store));
    });
    after(() => store.close());

    it('the header names the variables a fresh database needs', () => {
      assert.ok(
        text.startsWith(
          [
            '# Written by `tessera export`: no secret, password or hash is in this file.',
            '# Each secret names an environment variable instead. `tessera apply` of this file to',
            '# the database it came from keeps the stored secret of every variable left unset.',
            '# A fresh database needs these variables set:',
            '#   CLIENT_SECRET_ACME_WEB',
            '#   ACTION_SECRET_DENY_SUSPENDED_SUPPORT_EMAIL',
            '#   RULES_CONFIG_PARTNER_API_KEY',
            '',
            '',
          ].join('\n'),
        ),
        text.slice(0, 600),
      );
    });

    it('to the database it came from: keeps the stored secrets and changes nothing', async () => {
      const rows = await dump(store);
      const doc = parseTenantFile(text, {}, { keepStoredSecrets: true });
      const report = await applyTenant(store, doc, { prune: true, now: T0 + 1000 });
      assert.deepEqual(report, {
        created: [],
        updated: [],
        deleted: [],
        unchanged: 16,
        kept: [
          'kept the stored secret of client acme-web (CLIENT_SECRET_ACME_WEB is not set)',
          'kept the stored secret SUPPORT_EMAIL of action deny-suspended (ACTION_SECRET_DENY_SUSPENDED_SUPPORT_EMAIL is not set)',
          'kept the stored rules-config value PARTNER_API_KEY (RULES_CONFIG_PARTNER_API_KEY is not set)',
        ],
      });
      assert.deepEqual(await dump(store), rows);
    });

    it('a variable that is set still replaces the stored secret', async () => {
      const doc = parseTenantFile(
        text,
        { CLIENT_SECRET_ACME_WEB: 'a-brand-new-secret-0123456789' },
        {
          keepStoredSecrets: true,
        },
      );
      const report = await applyTenant(store, doc, { now: T0 + 2000 });
      assert.deepEqual(report.updated, ['client acme-web']);
      assert.equal(report.kept?.length, 2);
    });

    it('to a fresh database: refused, naming each variable to set', async () => {
      const fresh = await kind.open();
      try {
        const doc = parseTenantFile(text, {}, { keepStoredSecrets: true });
        await assert.rejects(applyTenant(fresh, doc), (e: Error) => {
          assert.deepEqual(e.message.split('\n'), [
            'clients[1].client_secret: environment variable CLIENT_SECRET_ACME_WEB is not set, and the database holds no secret for client acme-web to keep: set CLIENT_SECRET_ACME_WEB',
            'actions[0].secrets.SUPPORT_EMAIL: environment variable ACTION_SECRET_DENY_SUSPENDED_SUPPORT_EMAIL is not set, and the database holds no secret SUPPORT_EMAIL for action deny-suspended to keep: set ACTION_SECRET_DENY_SUSPENDED_SUPPORT_EMAIL',
            'rulesConfigs[0].value: environment variable RULES_CONFIG_PARTNER_API_KEY is not set, and the database holds no rules-config value PARTNER_API_KEY to keep: set RULES_CONFIG_PARTNER_API_KEY',
          ]);
          return true;
        });
        assert.equal((await fresh.db.selectFrom('clients').selectAll().execute()).length, 0);
      } finally {
        await fresh.close();
      }
    });

    it('without keepStoredSecrets an unset variable is still an error at parse', () => {
      assert.throws(
        () => parseTenantFile(text, {}),
        /environment variable CLIENT_SECRET_ACME_WEB is not set/,
      );
    });
  });
}
