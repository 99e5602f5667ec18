import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setUserPassword } from '../../src/identity/users.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { ALICE, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const login = (t: TestApp, password: string) =>
  tokenRequest(t.app, {
    grant_type: 'password',
    username: ALICE.email,
    password,
    client_id: 'acme-web',
    client_secret: SECRET,
  });

for (const kind of storeKinds) {
  describe(`a password change lifts blocks; breached passwords cannot be set (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    it('lifts the brute-force block of the user', async () => {
      for (let i = 0; i < 10; i++) assert.equal((await login(t, `wrong-${i}`)).statusCode, 403);
      const blocked = await login(t, ALICE.password);
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.json().error, 'too_many_attempts');
      await setUserPassword(t.rt.store, ALICE.id, 'A-brand-new-Passw0rd', t.rt.now());
      t.clock.advance(6_000); // other nodes' counters learn of the lift within 5 s; this one at once
      const ok = await login(t, 'A-brand-new-Passw0rd');
      assert.equal(ok.statusCode, 200, ok.body);
    });

    it('refuses to set a breached password while detection is on', async () => {
      await putSetting(t.rt.store.db, 'attackProtection', {
        breachedPasswordDetection: { enabled: true, shields: ['block'] },
      });
      await assert.rejects(
        setUserPassword(t.rt.store, ALICE.id, 'Password123', t.rt.now()),
        /this password appears in a list of breached passwords/,
      );
      await putSetting(t.rt.store.db, 'attackProtection', {});
      await setUserPassword(t.rt.store, ALICE.id, 'Password123', t.rt.now());
    });
  });
}
