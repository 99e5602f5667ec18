import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backgroundOf } from '../../src/notify/background.js';
import { listEvents } from '../../src/store/repos/events.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { findUserById } from '../../src/store/repos/users.js';
import { startTestApp, type TestApp, tokenRequest, SECRET } from '../helpers/app.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { signup } from '../helpers/dbconnections.js';
import { storeKinds } from '../helpers/stores.js';

const LINK = /https:\/\/tessera\.test\/(lo\/verify_email\?ticket=[A-Za-z0-9_-]{43})/;
const PASSWORD = 'Verify-Me-2026';

/** The README's rule: refuse logins until the email is verified. */
const VERIFIED_ONLY = `function (user, context, callback) {
  if (!user.email_verified) return callback(new UnauthorizedError('Please verify your email before logging in.'));
  callback(null, user, context);
}`;

for (const kind of storeKinds) {
  describe(`email verification after sign-up (${kind.name})`, () => {
    let t: TestApp;
    let smtp: TestSmtp;
    const idle = () => backgroundOf(t.rt, t.rt.log).idle();
    const base = {
      client_id: 'acme-web',
      connection: 'Username-Password-Authentication',
      password: PASSWORD,
    };
    const login = (username: string) =>
      tokenRequest(t.app, {
        grant_type: 'password',
        client_id: 'acme-web',
        client_secret: SECRET,
        username,
        password: PASSWORD,
      });

    before(async () => {
      smtp = await startSmtp();
      t = await startTestApp(kind, { env: { TESSERA_SMTP_URL: smtp.url } });
    });
    after(async () => {
      await idle();
      await t.close();
      await smtp.close();
    });

    it('sends a single-use link that verifies the address (sv), then reads as used (fv)', async () => {
      const mail = smtp.next('vera@example.com');
      const res = await signup(t, { ...base, email: 'vera@example.com', name: 'Vera <b>V</b>' });
      assert.equal(res.statusCode, 200);
      const userId = `auth0|${res.json()._id}`;
      const m = await mail;
      assert.equal(m.subject, 'Verify your email address for Acme');
      // Nothing the sign-up form took goes to the address (it may be someone else's): no name.
      assert.match(m.text, /^Hello,\n\nPlease confirm that vera@example\.com is your email address for Acme/);
      assert.doesNotMatch(m.text + (m.html ?? ''), /Vera/);
      const path = LINK.exec(m.text)![1]!;

      const page = await t.app.inject({ method: 'GET', url: `/${path}` });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Your email address has been verified/);
      assert.equal((await findUserById(t.rt.store.db, userId))?.email_verified, true);
      assert.equal((await listEvents(t.rt.store.db, { type: 'sv' }))[0]?.user_id, userId);

      const again = await t.app.inject({ method: 'GET', url: `/${path}` });
      assert.equal(again.statusCode, 400);
      assert.match(again.body, /already been used/);
      assert.equal((await listEvents(t.rt.store.db, { type: 'fv' }))[0]?.user_id, userId);
      const bad = await t.app.inject({ method: 'GET', url: '/lo/verify_email?ticket=%00' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /not valid/);
    });

    it('a rule can refuse unverified users until they click the link', async () => {
      await putSetting(t.rt.store.db, 'rules', [{ name: 'verified-only', script: VERIFIED_ONLY }]);
      try {
        const mail = smtp.next('rita@example.com');
        assert.equal((await signup(t, { ...base, email: 'rita@example.com' })).statusCode, 200);
        const refused = await login('rita@example.com');
        assert.equal(refused.statusCode, 401);
        assert.deepEqual(refused.json(), {
          error: 'unauthorized',
          error_description: 'Please verify your email before logging in.',
        });
        const path = LINK.exec((await mail).text)![1]!;
        assert.equal((await t.app.inject({ method: 'GET', url: `/${path}` })).statusCode, 200);
        assert.equal((await login('rita@example.com')).statusCode, 200);
      } finally {
        await putSetting(t.rt.store.db, 'rules', []);
      }
    });

    it('the tenant’s verify_email template is used (Liquid), its resultUrl shown; disabled, nothing is sent', async () => {
      await putSetting(t.rt.store.db, 'emailTemplates', {
        verify_email: {
          from: 'Acme Accounts <accounts@acme.test>',
          subject: 'Welcome {{ user.given_name }}: confirm {{ user.email }}',
          body: '<h1>Hi {{ user.given_name | upcase }}</h1><p><a href="{{ url }}">Confirm</a> for {{ application.name }}</p>',
          resultUrl: 'https://app.acme.test/welcome',
        },
      });
      const mail = smtp.next('tom@example.com');
      assert.equal(
        (await signup(t, { ...base, email: 'tom@example.com', given_name: 'Tom' })).statusCode,
        200,
      );
      const m = await mail;
      assert.equal(m.from, 'accounts@acme.test');
      assert.equal(m.subject, 'Welcome Tom: confirm tom@example.com');
      assert.match(m.text, /^Hi TOM\n\nConfirm \(https:\/\/tessera\.test\/lo\/verify_email\?ticket=/);
      const path = LINK.exec(m.text)![1]!;
      const page = await t.app.inject({ method: 'GET', url: `/${path}` });
      assert.match(page.body, /href="https:\/\/app\.acme\.test\/welcome"/);

      await putSetting(t.rt.store.db, 'emailTemplates', { verify_email: { enabled: false } });
      const before = smtp.mails.length;
      assert.equal((await signup(t, { ...base, email: 'quiet@example.com' })).statusCode, 200);
      await idle();
      assert.equal(smtp.mails.length, before);
      await putSetting(t.rt.store.db, 'emailTemplates', {});
    });

    it('the welcome email, when enabled, follows the verification (or the sign-up when verification is off)', async () => {
      await putSetting(t.rt.store.db, 'emailTemplates', { welcome_email: { enabled: true } });
      const verify = smtp.next('wendy@example.com');
      assert.equal((await signup(t, { ...base, email: 'wendy@example.com' })).statusCode, 200);
      const path = LINK.exec((await verify).text)![1]!;
      await idle();
      assert.equal(smtp.mails.filter((m) => m.subject === 'Welcome to Acme').length, 0);
      const welcome = smtp.next('wendy@example.com');
      assert.equal((await t.app.inject({ method: 'GET', url: `/${path}` })).statusCode, 200);
      assert.equal((await welcome).subject, 'Welcome to Acme');

      await putSetting(t.rt.store.db, 'emailTemplates', {
        welcome_email: { enabled: true },
        verify_email: { enabled: false },
      });
      const direct = smtp.next('walt@example.com');
      assert.equal((await signup(t, { ...base, email: 'walt@example.com' })).statusCode, 200);
      assert.equal((await direct).text, 'Welcome to Acme, walt@example.com!');
      await putSetting(t.rt.store.db, 'emailTemplates', {});
    });
  });
}
