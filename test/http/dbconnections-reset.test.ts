import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setUserPassword } from '../../src/identity/users.js';
import { backgroundOf } from '../../src/notify/background.js';
import { findClient, upsertClient } from '../../src/store/repos/clients.js';
import { findConnectionByName, upsertConnection } from '../../src/store/repos/connections.js';
import { listEvents } from '../../src/store/repos/events.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { findUserById } from '../../src/store/repos/users.js';
import { ALICE, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { changePassword } from '../helpers/dbconnections.js';
import { storeKinds } from '../helpers/stores.js';

const ANSWER = "We've just sent you an email to reset your password.";
const NEW_PASSWORD = 'Fresh-Lemon-77';
const LINK = /https:\/\/tessera\.test\/lo\/reset\?ticket=([A-Za-z0-9_-]{43})/;

/** Opens the reset page: its cookie and form token, as a browser would keep them. */
async function openForm(t: TestApp, ticket: string) {
  const page = await t.app.inject({ method: 'GET', url: `/lo/reset?ticket=${ticket}` });
  const setCookie = String(page.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return { page, cookie, csrf };
}

function submit(t: TestApp, form: Record<string, string>, cookie?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/lo/reset',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    payload: new URLSearchParams(form).toString(),
  });
}

function login(t: TestApp, password: string) {
  return tokenRequest(t.app, {
    grant_type: 'password',
    client_id: 'acme-web',
    client_secret: SECRET,
    username: ALICE.email,
    password,
    scope: 'openid offline_access',
  });
}

for (const kind of storeKinds) {
  describe(`password reset: change_password, the email, the /lo/reset page (${kind.name})`, () => {
    let t: TestApp;
    let smtp: TestSmtp;
    const idle = () => backgroundOf(t.rt, t.rt.log).idle();

    async function resetLink(): Promise<string> {
      const seen = smtp.mails.length;
      const res = await changePassword(t, ALICE.email);
      assert.equal(res.statusCode, 200);
      await idle();
      const m = smtp.mails.slice(seen).find((x) => x.to.includes(ALICE.email) && LINK.test(x.text));
      assert.ok(m, 'a reset email');
      return LINK.exec(m.text)![1]!;
    }

    before(async () => {
      smtp = await startSmtp();
    });
    beforeEach(async () => {
      t = await startTestApp(kind, { env: { TESSERA_SMTP_URL: smtp.url } });
      // Sessions: acme-web may also use refresh tokens here.
      const web = (await findClient(t.rt.store.db, 'acme-web'))!;
      const grants = [...web.client.grant_types, 'refresh_token'];
      await upsertClient(t.rt.store.db, { ...web.client, grant_types: grants }, web.secretHash, t.rt.now());
    });
    after(async () => {
      await smtp.close();
    });
    const close = async () => {
      await idle();
      await t.close();
    };

    it('answers the same 200 text for an account and for nobody; only the account gets an email', async () => {
      try {
        const before = smtp.mails.length;
        const known = await changePassword(t, ALICE.email.toUpperCase());
        const unknown = await changePassword(t, 'nobody@acme.test');
        for (const res of [known, unknown]) {
          assert.equal(res.statusCode, 200);
          assert.equal(res.body, ANSWER);
          assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
        }
        await idle();
        const mails = smtp.mails.slice(before);
        assert.equal(mails.length, 1);
        const mail = mails[0]!;
        assert.deepEqual(mail.to, [ALICE.email]);
        assert.equal(mail.subject, 'Reset your Acme password');
        assert.match(mail.text, LINK);
        assert.match(mail.text, /works once, for 120 hours/);
        assert.match(mail.html ?? '', /<a href="https:\/\/tessera\.test\/lo\/reset\?ticket=/);
        // Only the ticket's hash is stored.
        const ticket = LINK.exec(mail.text)![1]!;
        const rows = await t.rt.store.db
          .selectFrom('identity_tickets' as never)
          .selectAll()
          .execute();
        assert.equal(rows.length, 1);
        assert.ok(!JSON.stringify(rows).includes(ticket));
      } finally {
        await close();
      }
    });

    it('sets the new password on the page: old refused, new works, email verified, blocks lifted, tokens revoked', async () => {
      try {
        const db = t.rt.store.db;
        await db.updateTable('users').set({ email_verified: 0 }).where('id', '=', ALICE.id).execute();
        const session = await login(t, ALICE.password);
        const refresh = session.json().refresh_token as string;
        for (let i = 0; i < 10; i++) await login(t, 'wrong password');
        assert.equal((await login(t, ALICE.password)).statusCode, 429);

        const ticket = await resetLink();
        const { page, cookie, csrf } = await openForm(t, ticket);
        assert.equal(page.statusCode, 200);
        assert.match(page.headers['content-type'] as string, /^text\/html/);
        assert.match(page.body, /At least 8 characters in length/);
        assert.match(page.body, /alice@acme\.test/);
        assert.match(String(page.headers['set-cookie']), /HttpOnly; SameSite=Strict; Secure/);
        assert.match(String(page.headers['content-security-policy']), /script-src 'nonce-/);

        const weak = await submit(t, { ticket, csrf, password: 'short', confirm: 'short' }, cookie);
        assert.equal(weak.statusCode, 400);
        assert.match(weak.body, /Password is too weak/);

        // A browser's own form under Referrer-Policy: no-referrer says `Origin: null`.
        const ok = await t.app.inject({
          method: 'POST',
          url: '/lo/reset',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: 'null' },
          payload: new URLSearchParams({
            ticket,
            csrf,
            password: NEW_PASSWORD,
            confirm: NEW_PASSWORD,
          }).toString(),
        });
        assert.equal(ok.statusCode, 200, ok.body);
        assert.match(ok.body, /Your password has been changed/);
        t.clock.advance(6_000); // the lift reaches every node's block mirror within 5 s

        assert.equal((await login(t, ALICE.password)).statusCode, 403);
        assert.equal((await login(t, NEW_PASSWORD)).statusCode, 200);
        assert.equal((await findUserById(db, ALICE.id))?.email_verified, true);
        const refreshed = await tokenRequest(t.app, {
          grant_type: 'refresh_token',
          client_id: 'acme-web',
          client_secret: SECRET,
          refresh_token: refresh,
        });
        assert.equal(refreshed.statusCode, 403);
        assert.equal(refreshed.json().error, 'invalid_grant');
        const [scp] = await listEvents(db, { type: 'scp' });
        assert.equal(scp?.user_id, ALICE.id);
        assert.equal(
          (await listEvents(db, { type: 'fcp' }))[0]?.description,
          'Failed change password: Password is too weak',
        );

        const reused = await openForm(t, ticket);
        assert.equal(reused.page.statusCode, 400);
        assert.match(reused.page.body, /already been used/);
        const again = await submit(
          t,
          { ticket, csrf, password: 'Other-Pass-99', confirm: 'Other-Pass-99' },
          cookie,
        );
        assert.match(again.body, /already been used/);
      } finally {
        await close();
      }
    });

    it('two concurrent submits of one link: exactly one sets its password', async () => {
      try {
        const ticket = await resetLink();
        const { cookie, csrf } = await openForm(t, ticket);
        const [a, b] = await Promise.all(
          ['First-Winner-11', 'Second-Winner-22'].map((password) =>
            submit(t, { ticket, csrf, password, confirm: password }, cookie),
          ),
        );
        assert.deepEqual([a!.statusCode, b!.statusCode].sort(), [200, 400]);
        const winner = a!.statusCode === 200 ? 'First-Winner-11' : 'Second-Winner-22';
        const loser = a!.statusCode === 200 ? b! : a!;
        assert.match(loser.body, /already been used/);
        assert.equal((await login(t, winner)).statusCode, 200);
        assert.equal((await listEvents(t.rt.store.db, { type: 'scpr' }))[0]?.user_id, ALICE.id);
      } finally {
        await close();
      }
    });

    it('keeps refresh tokens when the connection sets revoke_refresh_tokens_on_password_change: false', async () => {
      try {
        const conn = (await findConnectionByName(t.rt.store.db, 'Username-Password-Authentication'))!;
        await upsertConnection(
          t.rt.store.db,
          { ...conn, options: { revoke_refresh_tokens_on_password_change: false } },
          t.rt.now(),
        );
        const refresh = (await login(t, ALICE.password)).json().refresh_token as string;
        const ticket = await resetLink();
        const { cookie, csrf } = await openForm(t, ticket);
        const ok = await submit(t, { ticket, csrf, password: NEW_PASSWORD, confirm: NEW_PASSWORD }, cookie);
        assert.equal(ok.statusCode, 200);
        const refreshed = await tokenRequest(t.app, {
          grant_type: 'refresh_token',
          client_id: 'acme-web',
          client_secret: SECRET,
          refresh_token: refresh,
        });
        assert.equal(refreshed.statusCode, 200, refreshed.body);
      } finally {
        await close();
      }
    });

    it('refuses a form without the cookie, with a wrong token or from another origin (CSRF)', async () => {
      try {
        const ticket = await resetLink();
        const { cookie, csrf } = await openForm(t, ticket);
        const form = { ticket, csrf, password: NEW_PASSWORD, confirm: NEW_PASSWORD };
        for (const res of [
          await submit(t, form),
          await submit(t, { ...form, csrf: 'x'.repeat(43) }, cookie),
          await t.app.inject({
            method: 'POST',
            url: '/lo/reset',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              cookie,
              origin: 'https://evil.test',
            },
            payload: new URLSearchParams(form).toString(),
          }),
        ]) {
          assert.equal(res.statusCode, 403);
          assert.match(res.body, /sent from elsewhere/);
        }
        assert.equal((await login(t, ALICE.password)).statusCode, 200);
      } finally {
        await close();
      }
    });

    it('a link expires (default 432000 s, settable) and dies on a later password change', async () => {
      try {
        const ticket = await resetLink();
        t.clock.advance(432_000_000);
        const expired = await openForm(t, ticket);
        assert.equal(expired.page.statusCode, 400);
        assert.match(expired.page.body, /has expired/);

        await putSetting(t.rt.store.db, 'emailTemplates', { reset_email: { urlLifetimeInSeconds: 60 } });
        const short = await resetLink();
        t.clock.advance(61_000);
        assert.match((await openForm(t, short)).page.body, /has expired/);

        const fresh = await resetLink();
        await setUserPassword(t.rt.store, ALICE.id, 'Changed-By-Admin-1', t.rt.now());
        const dead = await openForm(t, fresh);
        assert.equal(dead.page.statusCode, 400);
        assert.match(dead.page.body, /password was changed since/);
        assert.match((await openForm(t, 'not-a-ticket')).page.body, /not valid/);
      } finally {
        await close();
      }
    });

    it('keeps a password history when the connection asks for one', async () => {
      try {
        const conn = (await findConnectionByName(t.rt.store.db, 'Username-Password-Authentication'))!;
        await upsertConnection(
          t.rt.store.db,
          { ...conn, options: { password_history: { enable: true, size: 2 } } },
          t.rt.now(),
        );
        const set = async (password: string) => {
          t.clock.advance(20 * 60_000); // one more reset email to this address
          const ticket = await resetLink();
          const { cookie, csrf } = await openForm(t, ticket);
          return submit(t, { ticket, csrf, password, confirm: password }, cookie);
        };
        assert.equal((await set(NEW_PASSWORD)).statusCode, 200);
        const same = await set(NEW_PASSWORD);
        assert.equal(same.statusCode, 400);
        assert.match(
          same.body,
          /You have used this password recently\. Choose one that is not among your last 2\./,
        );
        assert.equal((await set('Second-Choice-22')).statusCode, 200);
        assert.match((await set(NEW_PASSWORD)).body, /used this password recently/);
        assert.equal((await set('Third-Choice-33')).statusCode, 200);
        // 2 remembered, the current one included: the first one is free again.
        assert.equal((await set(NEW_PASSWORD)).statusCode, 200);
      } finally {
        await close();
      }
    });

    it('a flood of requests for one address sends 3 emails, every answer the same 200', async () => {
      try {
        const before = smtp.mails.length;
        for (let i = 0; i < 25; i++) {
          const res = await changePassword(t, ALICE.email);
          assert.equal(res.statusCode, 200);
          assert.equal(res.body, ANSWER);
        }
        await idle();
        assert.equal(smtp.mails.length - before, 3);
        // Per IP as well: other addresses from the same IP are limited too (20, then 1 every 30 s).
        for (let i = 0; i < 5; i++) assert.equal((await changePassword(t, `u${i}@acme.test`)).body, ANSWER);
      } finally {
        await close();
      }
    });
  });
}
