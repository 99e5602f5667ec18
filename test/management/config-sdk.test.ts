import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ManagementApiError } from 'auth0';
import { decodeJwt } from 'jose';
import { getSetting, putSetting } from '../../src/store/repos/settings.js';
import { ALICE, SECRET, tokenRequest } from '../helpers/app.js';
import { type ManagementHarness, startManagement } from '../helpers/management.js';
import { storeKinds } from '../helpers/stores.js';
import { CLAIM_RULE, CONFIG_SCOPES } from './config-helpers.js';

const notFound =
  (status = 404) =>
  (err: unknown) => {
    assert.ok(err instanceof ManagementApiError);
    assert.equal(err.statusCode, status);
    return true;
  };

for (const kind of storeKinds) {
  describe(`Management API configuration through the auth0 SDK's ManagementClient (${kind.name})`, () => {
    let h: ManagementHarness;
    before(async () => {
      h = await startManagement(kind, { scopes: CONFIG_SCOPES });
    });
    after(() => h.close());
    // The rate limit (15 a second) refills by the test clock.
    beforeEach(() => h.clock.advance(10_000));

    const login = (client_id: string, client_secret: string) =>
      tokenRequest(h.app, {
        grant_type: 'password',
        client_id,
        client_secret,
        username: ALICE.email,
        password: ALICE.password,
      });

    it('clients: create (secret once), get, update, rotate the secret, delete; logins see it at once', async () => {
      const created = await h.management.clients.create({
        name: 'Shop',
        app_type: 'regular_web',
        grant_types: ['password'],
        token_endpoint_auth_method: 'client_secret_post',
      });
      assert.equal(created.status, 201);
      const { client_id, client_secret } = created.data;
      assert.match(client_id, /^[A-Za-z0-9]{32}$/);
      assert.match(client_secret ?? '', /^[A-Za-z0-9_-]{48}$/);
      const got = await h.management.clients.get({ client_id });
      assert.equal(got.data.name, 'Shop');
      assert.equal(got.data.client_secret, undefined);

      const conns = await h.management.connections.getAll({ strategy: ['auth0'] });
      const listed = conns.data.find((c) => c.name === 'Username-Password-Authentication')!;
      const def = (await h.management.connections.get({ id: listed.id! })).data;
      await h.management.connections.update(
        { id: def.id! },
        { enabled_clients: [...(def.enabled_clients ?? []), client_id] },
      );
      assert.equal((await login(client_id, client_secret!)).statusCode, 200);

      const updated = await h.management.clients.update(
        { client_id },
        { name: 'Shop 2', is_first_party: true },
      );
      assert.equal(updated.data.name, 'Shop 2');
      assert.equal(updated.data.is_first_party, true);
      assert.equal(updated.data.client_secret, undefined);
      assert.equal((await login(client_id, client_secret!)).statusCode, 200, 'the secret stays on update');

      const rotated = await h.management.clients.rotateClientSecret({ client_id });
      const fresh = rotated.data.client_secret!;
      assert.notEqual(fresh, client_secret);
      assert.equal((await login(client_id, client_secret!)).statusCode, 401);
      assert.equal((await login(client_id, fresh)).statusCode, 200);

      const all = await h.management.clients.getAll();
      assert.ok(all.data.some((c) => c.client_id === client_id));
      assert.equal((await h.management.clients.delete({ client_id })).status, 204);
      await assert.rejects(h.management.clients.get({ client_id }), notFound());
      const after = (await h.management.connections.get({ id: def.id! })).data;
      assert.deepEqual(after.enabled_clients, def.enabled_clients, 'no longer enabled on the connection');
    });

    it('connections: create, get, update, delete', async () => {
      const created = await h.management.connections.create({
        name: 'partners',
        strategy: 'auth0',
        enabled_clients: ['acme-web'],
        options: { requires_username: true },
      });
      assert.equal(created.status, 201);
      const id = created.data.id;
      assert.match(id, /^con_/);
      assert.equal((await h.management.connections.get({ id })).data.name, 'partners');
      const updated = await h.management.connections.update({ id }, { realms: ['partner'] });
      assert.deepEqual(updated.data.realms, ['partner']);
      await assert.rejects(
        h.management.connections.create({ name: 'partners', strategy: 'auth0' }),
        notFound(409),
      );
      await h.management.connections.delete({ id });
      await assert.rejects(h.management.connections.get({ id }), notFound());
    });

    it('resource servers and client grants (one for the built-in Management API)', async () => {
      const rs = await h.management.resourceServers.create({
        identifier: 'https://billing.acme.test/',
        name: 'Billing',
        scopes: [{ value: 'read:invoices' }],
      });
      assert.equal(rs.status, 201);
      const id = rs.data.id!;
      assert.equal(
        (await h.management.resourceServers.get({ id })).data.identifier,
        'https://billing.acme.test/',
      );
      const up = await h.management.resourceServers.update({ id }, { token_lifetime: 600 });
      assert.equal(up.data.token_lifetime, 600);

      const grant = await h.management.clientGrants.create({
        client_id: 'acme-web',
        audience: 'https://billing.acme.test/',
        scope: ['read:invoices'],
      });
      assert.equal(grant.status, 201);
      assert.match(grant.data.id!, /^cgr_/);
      const mgmt = await h.management.clientGrants.create({
        client_id: 'acme-basic',
        audience: h.audience,
        scope: ['read:users'],
      });
      assert.deepEqual(mgmt.data.scope, ['read:users']);
      const listed = await h.management.clientGrants.getAll({ client_id: 'acme-web' });
      assert.deepEqual(
        listed.data.map((g) => g.audience),
        ['https://billing.acme.test/'],
      );
      const changed = await h.management.clientGrants.update({ id: grant.data.id! }, { scope: [] });
      assert.deepEqual(changed.data.scope, []);
      await h.management.clientGrants.delete({ id: grant.data.id! });
      await h.management.clientGrants.delete({ id: mgmt.data.id! });
      await h.management.resourceServers.delete({ id });
      await assert.rejects(h.management.resourceServers.get({ id }), notFound());
    });

    it('rules and rules configs: a rule created through the API runs at the next login', async () => {
      const created = await h.management.rules.create({ name: 'claim', script: CLAIM_RULE, enabled: true });
      assert.equal(created.status, 201);
      const id = created.data.id!;
      assert.match(id, /^rul_/);
      assert.equal(created.data.stage, 'login_success');
      const res = await login('acme-web', SECRET);
      assert.equal(res.statusCode, 200);
      assert.equal(decodeJwt(res.json().access_token)['https://acme.test/rule'], 'ran');
      const off = await h.management.rules.update({ id }, { enabled: false });
      assert.equal(off.data.enabled, false);
      assert.equal((await h.management.rules.getAll()).data.length, 1);

      await h.management.rulesConfigs.set({ key: 'API_KEY' }, { value: 's3cret' });
      assert.deepEqual((await h.management.rulesConfigs.getAll()).data, [{ key: 'API_KEY' }]);
      await h.management.rulesConfigs.delete({ key: 'API_KEY' });
      assert.deepEqual((await h.management.rulesConfigs.getAll()).data, []);

      await h.management.rules.delete({ id });
      await assert.rejects(h.management.rules.get({ id }), notFound());
    });

    it('actions: create, get, update, deploy, bind, unbind, delete', async () => {
      const created = await h.management.actions.create({
        name: 'tag',
        supported_triggers: [{ id: 'post-login', version: 'v3' }],
        code: 'exports.onExecutePostLogin = async (event, api) => {};',
        secrets: [{ name: 'TOKEN', value: 'abc' }],
      });
      assert.equal(created.status, 201);
      const id = created.data.id!;
      assert.deepEqual(created.data.secrets, [{ name: 'TOKEN' }]);
      assert.equal((await h.management.actions.get({ id })).data.name, 'tag');
      const updated = await h.management.actions.update(
        { id },
        { code: 'exports.onExecutePostLogin = async () => {};' },
      );
      assert.equal(updated.data.code, 'exports.onExecutePostLogin = async () => {};');
      assert.equal((await h.management.actions.deploy({ id })).status, 200);
      assert.equal((await h.management.actions.getAll()).data.actions?.length, 1);
      // Created and deployed, it runs once bound to the trigger (as in Auth0), until unbound.
      const claim = async () =>
        decodeJwt((await login('acme-web', SECRET)).json().access_token)['https://acme.test/action'];
      await h.management.actions.update(
        { id },
        {
          code: "exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('https://acme.test/action', 'ran'); };",
        },
      );
      assert.equal(await claim(), undefined);
      const bound = await h.management.actions.updateTriggerBindings(
        { triggerId: 'post-login' },
        { bindings: [{ ref: { type: 'action_name', value: 'tag' }, display_name: 'tag' }] },
      );
      assert.deepEqual(
        bound.data.bindings.map((b) => b.action.id),
        [id],
      );
      assert.equal(await claim(), 'ran');
      const listed = await h.management.actions.getTriggerBindings({ triggerId: 'post-login' });
      assert.deepEqual(
        listed.data.bindings.map((b) => b.display_name),
        ['tag'],
      );
      await h.management.actions.updateTriggerBindings({ triggerId: 'post-login' }, { bindings: [] });
      assert.equal(await claim(), undefined);
      await h.management.actions.delete({ id });
      await assert.rejects(h.management.actions.get({ id }), notFound());
    });

    it('a rename keeps the id (as Auth0: ids are not names), and the old name can be used again', async () => {
      const code = 'exports.onExecutePostLogin = async (event, api) => {};';
      const create = (name: string) =>
        h.management.actions.create({
          name,
          supported_triggers: [{ id: 'post-login', version: 'v3' }],
          code,
        });
      const first = await create('first');
      const id = first.data.id!;
      const renamed = await h.management.actions.update({ id }, { name: 'renamed' });
      assert.equal(renamed.data.id, id);
      assert.equal((await h.management.actions.get({ id })).data.name, 'renamed');
      // The old name is free again, and its new action gets an id of its own.
      const again = await create('first');
      assert.notEqual(again.data.id, id);
      assert.match(again.data.id!, /^act_[A-Za-z0-9_-]{16}$/);
      const listed = (await h.management.actions.getAll()).data.actions!.map((a) => [a.id, a.name]);
      assert.deepEqual(
        listed.sort(),
        [
          [id, 'renamed'],
          [again.data.id, 'first'],
        ].sort(),
      );
      // A second rename: still the same id.
      await h.management.actions.update({ id }, { name: 'third' });
      assert.equal((await h.management.actions.get({ id })).data.name, 'third');
      await h.management.actions.delete({ id: again.data.id! });

      // An apply (a tenant file) gives the action's first name to a new one: that one's derived
      // id is held by the renamed action, so it gets another, which stays when the holder goes.
      await h.management.actions.update({ id }, { name: 'renamed' });
      const stored = (await getSetting<unknown[]>(h.rt.store.db, 'actions')) ?? [];
      await putSetting(h.rt.store.db, 'actions', [...stored, { name: 'first', trigger: 'post-login', code }]);
      const applied = (await h.management.actions.getAll()).data.actions!.find((a) => a.name === 'first')!;
      assert.notEqual(applied.id, id);
      assert.equal((await h.management.actions.get({ id })).data.name, 'renamed');
      await h.management.actions.delete({ id });
      await assert.rejects(h.management.actions.get({ id }), notFound());
      assert.equal((await h.management.actions.get({ id: applied.id! })).data.name, 'first');
      // A tenant file's action is bound: it goes only with force (as in Auth0).
      await assert.rejects(h.management.actions.delete({ id: applied.id! }), notFound(409));
      await h.management.actions.delete({ id: applied.id!, force: true });

      const rule = await h.management.rules.create({ name: 'r-old', script: CLAIM_RULE });
      const rid = rule.data.id!;
      assert.equal((await h.management.rules.update({ id: rid }, { name: 'r-new' })).data.id, rid);
      assert.equal((await h.management.rules.get({ id: rid })).data.name, 'r-new');
      await h.management.rules.delete({ id: rid });
    });

    it('tenant settings and attack protection', async () => {
      const got = await h.management.tenants.getSettings();
      assert.equal(got.data.friendly_name, 'Acme');
      const patched = await h.management.tenants.updateSettings({ friendly_name: 'Acme Corp' });
      assert.equal(patched.data.friendly_name, 'Acme Corp');
      assert.equal(patched.data.default_directory, 'Username-Password-Authentication');

      const bf = await h.management.attackProtection.updateBruteForceConfig({
        enabled: true,
        max_attempts: 5,
      });
      assert.equal(bf.data.max_attempts, 5);
      assert.equal((await h.management.attackProtection.getBruteForceConfig()).data.max_attempts, 5);
      const ip = await h.management.attackProtection.updateSuspiciousIpThrottlingConfig({ enabled: false });
      assert.equal(ip.data.enabled, false);
      assert.equal(
        (await h.management.attackProtection.getSuspiciousIpThrottlingConfig()).data.enabled,
        false,
      );
      const bp = await h.management.attackProtection.updateBreachedPasswordDetectionConfig({ enabled: true });
      assert.equal(bp.data.enabled, true);
      assert.equal(
        (await h.management.attackProtection.getBreachedPasswordDetectionConfig()).data.enabled,
        true,
      );
    });

    it('email templates: create, get, patch, put', async () => {
      const created = await h.management.emailTemplates.create({
        template: 'verify_email',
        body: '<p>Hello {{ user.email }}</p>',
        from: 'noreply@acme.test',
        subject: 'Verify',
        syntax: 'liquid',
        enabled: true,
      });
      assert.equal(created.data.template, 'verify_email');
      const got = await h.management.emailTemplates.get({ templateName: 'verify_email' });
      assert.equal(got.data.subject, 'Verify');
      const patched = await h.management.emailTemplates.update(
        { templateName: 'verify_email' },
        { subject: 'Please verify' },
      );
      assert.equal(patched.data.subject, 'Please verify');
      assert.equal(patched.data.from, 'noreply@acme.test');
      const put = await h.management.emailTemplates.put(
        { templateName: 'verify_email' },
        {
          template: 'verify_email',
          body: '<p>Hi</p>',
          from: 'a@acme.test',
          subject: 'S',
          syntax: 'liquid',
          enabled: false,
        },
      );
      assert.equal(put.data.enabled, false);
      await assert.rejects(h.management.emailTemplates.get({ templateName: 'reset_email' }), notFound());
    });

    it('signing keys: list, get, rotate, revoke the previous key (its tokens refused at once)', async () => {
      const keys = (await h.management.keys.getAll()).data;
      assert.equal(keys.filter((k) => k.current).length, 1);
      const old = keys.find((k) => k.current)!;
      assert.equal((await h.management.keys.get({ kid: old.kid })).data.kid, old.kid);
      const rotated = await h.management.keys.rotate();
      assert.equal(rotated.status, 201);
      const kid = rotated.data.kid!;
      assert.equal((await h.management.keys.get({ kid })).data.next, true);
      await assert.rejects(h.management.keys.revoke({ kid: old.kid }), notFound(400));
      await assert.rejects(h.management.keys.revoke({ kid }), notFound(400));

      h.clock.advance(601_000);
      const after = (await h.management.keys.getAll()).data;
      assert.equal(after.find((k) => k.kid === kid)?.current, true);
      assert.equal(after.find((k) => k.kid === old.kid)?.previous, true);
      const revoked = await h.management.keys.revoke({ kid: old.kid });
      assert.equal(revoked.data.kid, old.kid);
      const jwks = await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      assert.deepEqual(
        jwks.json().keys.map((k: { kid: string }) => k.kid),
        [kid],
      );
      // The SDK's cached token was signed by the revoked key.
      await assert.rejects(h.management.keys.getAll(), notFound(401));
    });
  });
}
