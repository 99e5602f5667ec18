import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { upsertConnection } from '../../src/store/repos/connections.js';
import { listEvents } from '../../src/store/repos/events.js';
import { SECRET, addUser, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const REALM = 'http://auth0.com/oauth/grant-type/password-realm';
const BAD_REALM = {
  error: 'invalid_request',
  error_description: 'Unknown realm or realm not enabled for this client',
};

for (const kind of storeKinds) {
  describe(`realms: separate user directories (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      // The same email in both directories: two users, two passwords.
      await addUser(t.rt, {
        user_id: 'auth0|sam-customer',
        connection_id: 'con_default',
        email: 'sam@acme.test',
        password: 'customer-password',
      });
      await addUser(t.rt, {
        user_id: 'auth0|sam-employee',
        connection_id: 'con_employees',
        email: 'sam@acme.test',
        password: 'employee-password',
      });
    });
    after(() => t.close());

    const realmLogin = (realm: string, password: string, grant = REALM, clientId = 'acme-web') =>
      tokenRequest(t.app, {
        grant_type: grant,
        realm,
        username: 'sam@acme.test',
        password,
        client_id: clientId,
        client_secret: SECRET,
      });

    it('each realm accepts only its own password and answers its own user', async () => {
      const emp = await realmLogin('employees', 'employee-password');
      assert.equal(emp.statusCode, 200);
      assert.equal(decodeJwt(emp.json().access_token).sub, 'auth0|sam-employee');
      const cust = await realmLogin('Username-Password-Authentication', 'customer-password');
      assert.equal(cust.statusCode, 200);
      assert.equal(decodeJwt(cust.json().access_token).sub, 'auth0|sam-customer');
      for (const [realm, password] of [
        ['employees', 'customer-password'],
        ['Username-Password-Authentication', 'employee-password'],
      ]) {
        const res = await realmLogin(realm!, password!);
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), {
          error: 'invalid_grant',
          error_description: 'Wrong email or password.',
        });
      }
    });

    it('accepts a realm alias and records the connection that authenticated', async () => {
      const res = await realmLogin('staff', 'employee-password');
      assert.equal(res.statusCode, 200);
      const e = (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;
      assert.equal(e.type, 'sepft');
      assert.equal(e.connection, 'employees');
      assert.equal(e.connection_id, 'con_employees');
      assert.equal((e.details as { grant_type: string }).grant_type, REALM);
      assert.equal(decodeJwt(res.json().access_token).gty, 'password');
    });

    it("honours realm on the plain password grant, as Auth0's current SDK sends it", async () => {
      const res = await realmLogin('employees', 'employee-password', 'password');
      assert.equal(res.statusCode, 200);
      assert.equal(decodeJwt(res.json().access_token).sub, 'auth0|sam-employee');
      const wrongDir = await realmLogin('employees', 'customer-password', 'password');
      assert.equal(wrongDir.statusCode, 403);
    });

    it('refuses a realm not enabled for the client exactly like an unknown one', async () => {
      await upsertConnection(
        t.rt.store.db,
        {
          id: 'con_employees',
          name: 'employees',
          strategy: 'auth0',
          realms: ['staff'],
          enabled_clients: ['acme-web', 'acme-basic'],
        },
        t.rt.now(),
      );
      const basic = { authorization: `Basic ${Buffer.from(`acme-basic:${SECRET}`).toString('base64')}` };
      const form = { grant_type: 'password', username: 'sam@acme.test', password: 'employee-password' };
      const enabled = await tokenRequest(t.app, { ...form, realm: 'employees' }, basic);
      assert.equal(enabled.statusCode, 200);
      const disabled = await tokenRequest(t.app, { ...form, realm: 'employees', client_id: 'acme-spa' });
      const unknown = await tokenRequest(t.app, { ...form, realm: 'contractors', client_id: 'acme-spa' });
      for (const res of [disabled, unknown]) {
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), BAD_REALM);
      }
      assert.deepEqual(disabled.headers['content-length'], unknown.headers['content-length']);
    });

    it('applies the same enablement to the default directory', async () => {
      await upsertConnection(
        t.rt.store.db,
        {
          id: 'con_default',
          name: 'Username-Password-Authentication',
          strategy: 'auth0',
          enabled_clients: ['acme-web'],
        },
        t.rt.now(),
      );
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        username: 'sam@acme.test',
        password: 'customer-password',
        client_id: 'acme-spa',
      });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'unauthorized_client',
        error_description: 'The default connection is not enabled for this client.',
      });
      const realm = await tokenRequest(t.app, {
        grant_type: 'password',
        username: 'sam@acme.test',
        password: 'customer-password',
        client_id: 'acme-spa',
        realm: 'Username-Password-Authentication',
      });
      assert.deepEqual(realm.json(), BAD_REALM);
    });
  });
}
