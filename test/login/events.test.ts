import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listEvents } from '../../src/store/repos/events.js';
import { ALICE, SECRET, startTestApp, type TestApp, tokenRequest, ALICE_LOGIN } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const alice = ALICE_LOGIN;

for (const kind of storeKinds) {
  describe(`audit events of logins (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    const latest = async () => (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;

    it('records sepft with client, connection, user, IP, user agent and time', async () => {
      await tokenRequest(t.app, alice, { 'user-agent': 'test-agent/1.0' });
      const e = await latest();
      assert.equal(e.type, 'sepft');
      assert.equal(e.client_id, 'acme-web');
      assert.equal(e.client_name, 'Acme Web');
      assert.equal(e.connection, 'Username-Password-Authentication');
      assert.equal(e.connection_id, 'con_default');
      assert.equal(e.user_id, ALICE.id);
      assert.equal(e.user_name, ALICE.email);
      assert.equal(e.ip, '127.0.0.1');
      assert.equal(e.user_agent, 'test-agent/1.0');
      assert.equal(e.date, t.clock.t);
      assert.match(e.id, /^evt_/);
    });

    it('records fp for a wrong password and fu for an unknown user', async () => {
      await tokenRequest(t.app, { ...alice, password: 'wrong' });
      let e = await latest();
      assert.equal(e.type, 'fp');
      assert.equal(e.user_id, ALICE.id);
      assert.equal(e.description, 'Wrong email or password.');
      await tokenRequest(t.app, { ...alice, username: 'ghost@acme.test' });
      e = await latest();
      assert.equal(e.type, 'fu');
      assert.equal(e.user_id, null);
      assert.equal(e.user_name, 'ghost@acme.test');
    });

    it('records fepft for other failures of the login', async () => {
      await tokenRequest(t.app, { ...alice, audience: 'https://unknown.test' });
      // An unknown audience fails before the pipeline: nothing to attribute.
      const before = (await listEvents(t.rt.store.db, { limit: 100 })).length;
      const { addUser } = await import('../helpers/app.js');
      await addUser(t.rt, {
        user_id: 'auth0|blk',
        connection_id: 'con_default',
        email: 'blk@acme.test',
        blocked: true,
        password: 'blk-password',
      });
      await tokenRequest(t.app, { ...alice, username: 'blk@acme.test', password: 'blk-password' });
      const e = await latest();
      assert.equal(e.type, 'fepft');
      assert.equal(e.description, 'user is blocked');
      assert.equal((await listEvents(t.rt.store.db, { limit: 100 })).length, before + 1);
    });

    it('never stores the password or the client secret', async () => {
      await tokenRequest(t.app, { ...alice, password: 'Sup3r-s3cret-guess' });
      const rows = await t.rt.store.db.selectFrom('events').selectAll().execute();
      const text = JSON.stringify(rows);
      assert.ok(!text.includes('Sup3r-s3cret-guess'));
      assert.ok(!text.includes(ALICE.password));
      assert.ok(!text.includes(SECRET));
    });

    it('counts logins on the user', async () => {
      const before = await t.rt.store.db
        .selectFrom('users')
        .select('logins_count')
        .where('id', '=', ALICE.id)
        .executeTakeFirstOrThrow();
      await tokenRequest(t.app, alice);
      const afterRow = await t.rt.store.db
        .selectFrom('users')
        .select(['logins_count', 'last_login'])
        .where('id', '=', ALICE.id)
        .executeTakeFirstOrThrow();
      assert.equal(afterRow.logins_count, before.logins_count + 1);
      assert.equal(afterRow.last_login, t.clock.t);
    });
  });
}
