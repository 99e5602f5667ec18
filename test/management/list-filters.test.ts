import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { API, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { CONFIG_SCOPES } from './config-helpers.js';
import { machineToken, managementCall, seedMachineClient } from './helpers.js';

/**
 * The configuration lists take the query fields Auth0's SDKs and tools send
 * (`fields`/`include_fields`, and each list's filters) instead of refusing
 * them as unknown: a client written for Auth0 lists what it asked for.
 */
for (const kind of storeKinds) {
  describe(`Management API: configuration lists take Auth0's query fields (${kind.name})`, () => {
    let t: TestApp;
    let token: string;
    before(async () => {
      t = await startTestApp(kind);
      token = await machineToken(t.app, await seedMachineClient(t.rt, 'm2m-lists', CONFIG_SCOPES));
    });
    after(() => t.close());
    beforeEach(() => t.clock.advance(10_000));

    const get = async (url: string, status = 200) => {
      const res = await managementCall(t.app, token, 'GET', url);
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      return res.json();
    };
    const ids = (list: { client_id: string }[]) => list.map((c) => c.client_id).sort();

    it('clients: fields / include_fields, is_first_party, app_type, client_ids, is_global', async () => {
      const picked = (await get('clients?fields=client_id,name&include_fields=true')) as object[];
      assert.ok(picked.length >= 4);
      for (const c of picked) assert.deepEqual(Object.keys(c).sort(), ['client_id', 'name']);
      const dropped = (await get('clients?fields=grant_types,name&include_fields=false')) as object[];
      for (const c of dropped) {
        assert.ok('client_id' in c && !('name' in c) && !('grant_types' in c), JSON.stringify(c));
      }
      assert.deepEqual(ids(await get('clients?client_ids=acme-web,acme-spa')), ['acme-spa', 'acme-web']);
      assert.deepEqual(ids(await get('clients?app_type=regular_web')), ['acme-web']);
      const firstParty = ids(await get('clients?is_first_party=true'));
      const thirdParty = ids(await get('clients?is_first_party=false'));
      assert.equal(firstParty.length + thirdParty.length, picked.length);
      assert.deepEqual(await get('clients?is_global=true'), [], 'Tessera has no global client');
      assert.equal((await get('clients?is_global=false')).length, picked.length);
      assert.deepEqual(await get('clients/acme-web?fields=name'), { name: 'Acme Web' });
      const paged = await get(
        'clients?fields=client_id&include_totals=true&per_page=2&client_ids=acme-web,acme-spa,acme-basic',
      );
      assert.deepEqual(paged, {
        start: 0,
        limit: 2,
        length: 2,
        total: 3,
        clients: paged.clients,
      });
      await get('clients?is_first_party=maybe', 400);
    });

    it('connections: name, strategy (one or several), fields', async () => {
      const named = await get('connections?name=employees&fields=id,name');
      assert.deepEqual(named, [{ id: 'con_employees', name: 'employees' }]);
      assert.equal((await get('connections?strategy=auth0')).length, 2);
      assert.equal((await get('connections?strategy=auth0&strategy=google-oauth2')).length, 2);
      assert.deepEqual(await get('connections?strategy=google-oauth2'), []);
      assert.deepEqual(await get('connections/con_default?fields=name'), {
        name: 'Username-Password-Authentication',
      });
    });

    it('resource servers: identifiers (one or several)', async () => {
      const one = (await get(`resource-servers?identifiers=${encodeURIComponent(API)}`)) as {
        identifier: string;
      }[];
      assert.deepEqual(
        one.map((r) => r.identifier),
        [API],
      );
      const two = (await get(
        `resource-servers?identifiers=${encodeURIComponent(API)}&identifiers=https%3A%2F%2Fnone.test%2F`,
      )) as { identifier: string }[];
      assert.deepEqual(
        two.map((r) => r.identifier),
        [API],
      );
      assert.deepEqual(await get('resource-servers?identifiers=https%3A%2F%2Fnone.test%2F'), []);
    });

    it('checkpoint paging (from, take) on client grants, connections and clients, as newer SDKs send it', async () => {
      // One grant per client and audience: three clients for the Orders API.
      for (const client_id of ['acme-web', 'acme-basic', 'acme-spa']) {
        const res = await managementCall(t.app, token, 'POST', 'client-grants', {
          client_id,
          audience: API,
          scope: [],
        });
        assert.equal(res.statusCode, 201, res.body);
      }
      const all = (await get(`client-grants?audience=${encodeURIComponent(API)}`)) as { id: string }[];
      assert.equal(all.length, 3);
      const first = await get(`client-grants?audience=${encodeURIComponent(API)}&take=2`);
      assert.deepEqual(first, { client_grants: all.slice(0, 2), next: all[2]!.id });
      const last = await get(`client-grants?audience=${encodeURIComponent(API)}&take=2&from=${first.next}`);
      assert.deepEqual(last, { client_grants: all.slice(2) }, 'no next after the last page');
      await get('client-grants?from=cgr_nothing', 400);

      const conns = await get('connections?take=1');
      assert.equal(conns.connections.length, 1);
      const rest = await get(`connections?from=${conns.next}`);
      assert.deepEqual(
        [...conns.connections, ...rest.connections].map((c: { name: string }) => c.name).sort(),
        ['Username-Password-Authentication', 'employees'],
      );
      assert.equal(rest.next, undefined);
      const clients = await get('clients?take=2&fields=client_id');
      assert.deepEqual(Object.keys(clients).sort(), ['clients', 'next']);
      assert.deepEqual(Object.keys(clients.clients[0]), ['client_id']);
    });

    it('rules: fields / include_fields on the list and on one rule', async () => {
      const created = await managementCall(t.app, token, 'POST', 'rules', {
        name: 'listed',
        script: 'function (user, context, callback) { callback(null, user, context); }',
      });
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json().id as string;
      assert.deepEqual(await get('rules?fields=id,name'), [{ id, name: 'listed' }]);
      const rest = (await get(`rules/${id}?fields=script&include_fields=false`)) as Record<string, unknown>;
      assert.equal(rest.name, 'listed');
      assert.equal('script' in rest, false);
    });
  });
}
