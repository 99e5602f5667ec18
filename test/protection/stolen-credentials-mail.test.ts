import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { putSetting } from '../../src/store/repos/settings.js';
import { addUser, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { storeKinds } from '../helpers/stores.js';

const LINK = /https:\/\/tessera\.test\/lo\/reset\?ticket=([A-Za-z0-9_-]{43})/;

for (const kind of storeKinds) {
  describe(`the breached-password email leads to the reset page, not to an administrator (${kind.name})`, () => {
    let t: TestApp;
    let smtp: TestSmtp;
    before(async () => {
      smtp = await startSmtp();
      t = await startTestApp(kind, { env: { TESSERA_SMTP_URL: smtp.url } });
      await putSetting(t.rt.store.db, 'attackProtection', {
        breachedPasswordDetection: { enabled: true, shields: ['block', 'user_notification'] },
      });
      await addUser(t.rt, {
        user_id: 'auth0|leaky',
        connection_id: 'con_default',
        email: 'leaky@acme.test',
        email_verified: true,
        password: 'P@ssw0rd',
      });
    });
    after(async () => {
      await t.rt.protection.idle();
      await t.close();
      await smtp.close();
    });
    const login = (password: string) =>
      tokenRequest(t.app, {
        grant_type: 'password',
        client_id: 'acme-web',
        client_secret: SECRET,
        username: 'leaky@acme.test',
        password,
      });

    it('sends a reset link that sets a new password and ends the block', async () => {
      const mail = smtp.next('leaky@acme.test');
      const blocked = await login('P@ssw0rd');
      assert.equal(blocked.statusCode, 401);
      assert.equal(blocked.json().error, 'password_leaked');
      const m = await mail;
      assert.equal(m.subject, 'Your Acme password has appeared in a data breach');
      assert.match(m.text, /logins with this password are blocked until it is changed/);
      assert.doesNotMatch(m.text, /administrator/);
      const ticket = LINK.exec(m.text)![1]!;
      assert.match(m.html ?? '', /Choose a new password/);

      const page = await t.app.inject({ method: 'GET', url: `/lo/reset?ticket=${ticket}` });
      assert.equal(page.statusCode, 200);
      const cookie = String(page.headers['set-cookie']).split(';')[0]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const post = (password: string) =>
        t.app.inject({
          method: 'POST',
          url: '/lo/reset',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          payload: new URLSearchParams({ ticket, csrf, password, confirm: password }).toString(),
        });
      const again = await post('P@ssw0rd');
      assert.equal(again.statusCode, 400);
      assert.match(again.body, /leaked in a data breach/);
      const done = await t.app.inject({
        method: 'POST',
        url: '/lo/reset',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        payload: new URLSearchParams({
          ticket,
          csrf,
          password: 'Not-Leaked-Yet-81',
          confirm: 'Not-Leaked-Yet-81',
        }).toString(),
      });
      assert.equal(done.statusCode, 200, done.body);
      assert.equal((await login('Not-Leaked-Yet-81')).statusCode, 200);
    });
  });
}
