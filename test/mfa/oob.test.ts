import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MFA_LIMITS } from '../../src/mfa/settings.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { startSmsGateway, type TestSmsGateway } from '../helpers/sms-gateway.js';
import { ALICE, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { associate, authenticators, challenge, grant, passwordLogin, setUpMfa } from './helpers.js';

const PHONE = '+15551239167';
const code = (text: string) =>
  /verification code is (\d{6})/.exec(text)?.[1] ?? assert.fail(`no code in: ${text}`);

for (const kind of storeKinds) {
  describe(`MFA by SMS and email (${kind.name})`, () => {
    let t: TestApp;
    let smtp: TestSmtp;
    let sms: TestSmsGateway;
    before(async () => {
      smtp = await startSmtp();
      sms = await startSmsGateway();
      t = await startTestApp(kind, {
        env: {
          TESSERA_SMTP_URL: smtp.url,
          TESSERA_SMS_WEBHOOK_URL: sms.url,
          TESSERA_SMS_WEBHOOK_SECRET: sms.secret,
        },
      });
      await setUpMfa(t);
    });
    after(async () => {
      await t.close();
      await smtp.close();
      await sms.close();
    });

    it('enrolls SMS: a code by the gateway, pending until typed, slow_down when polled too fast', async () => {
      const { mfa_token } = await passwordLogin(t);
      const before = sms.messages.length;
      const res = await associate(t, mfa_token, {
        authenticator_types: ['oob'],
        oob_channels: ['sms'],
        phone_number: PHONE,
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual(Object.keys(body), [
        'authenticator_type',
        'binding_method',
        'oob_channel',
        'oob_code',
        'recovery_codes',
      ]);
      assert.equal(body.authenticator_type, 'oob');
      assert.equal(body.binding_method, 'prompt');
      assert.equal(body.oob_channel, 'sms');
      const text = (await sms.next(PHONE, before)).body;
      assert.match(text, /^Your Acme verification code is \d{6}\. It expires in 5 minutes\./);

      const pending = await grant(t, 'oob', { mfa_token, oob_code: body.oob_code });
      assert.equal(pending.statusCode, 400);
      assert.deepEqual(pending.json(), {
        error: 'authorization_pending',
        error_description: 'Authorization pending: please repeat the request in a few seconds.',
      });
      const fast = await grant(t, 'oob', { mfa_token, oob_code: body.oob_code });
      assert.equal(fast.statusCode, 400);
      assert.equal(fast.json().error, 'slow_down');
      const wrong = await grant(t, 'oob', {
        mfa_token,
        oob_code: body.oob_code,
        binding_code: '000000' === code(text) ? '111111' : '000000',
      });
      assert.equal(wrong.statusCode, 403);
      assert.deepEqual(wrong.json(), { error: 'invalid_grant', error_description: 'Invalid binding_code.' });
      const ok = await grant(t, 'oob', { mfa_token, oob_code: body.oob_code, binding_code: code(text) });
      assert.equal(ok.statusCode, 200, ok.body);
      const again = await grant(t, 'oob', { mfa_token, oob_code: body.oob_code, binding_code: code(text) });
      assert.equal(again.statusCode, 403, 'the oob_code and the mfa_token are used up');
    });

    it('challenges the enrolled phone on the next login, and masks it in the list', async () => {
      t.clock.advance(MFA_LIMITS.sendIntervalMs); // one code per user per interval
      const login = await passwordLogin(t);
      assert.deepEqual(login.mfa_requirements, { challenge: [{ type: 'sms' }] });
      const list = (await authenticators(t, login.mfa_token)).json();
      assert.deepEqual(list[0], {
        id: list[0].id,
        authenticator_type: 'oob',
        active: true,
        oob_channel: 'sms',
        name: 'XXXXXXXX9167',
      });
      assert.match(list[0].id, /^sms\|dev_/);
      const before = sms.messages.length;
      // As Auth0's MfaClient sends it: client_id and the mfa_token, no secret.
      const ch = await t.app.inject({
        method: 'POST',
        url: '/mfa/challenge',
        payload: { client_id: 'mfa-app', mfa_token: login.mfa_token, challenge_type: 'oob' },
      });
      assert.equal(ch.statusCode, 200, ch.body);
      const wrongSecret = await challenge(t, {
        mfa_token: login.mfa_token,
        challenge_type: 'oob',
        client_secret: 'nope',
      });
      assert.equal(wrongSecret.statusCode, 401);
      const otherClient = await t.app.inject({
        method: 'POST',
        url: '/mfa/challenge',
        payload: { client_id: 'acme-web', mfa_token: login.mfa_token, challenge_type: 'oob' },
      });
      assert.deepEqual(otherClient.json(), {
        error: 'invalid_grant',
        error_description: 'Malformed mfa_token',
      });
      assert.deepEqual(Object.keys(ch.json()), ['challenge_type', 'oob_code', 'binding_method']);
      const text = (await sms.next(PHONE, before)).body;
      const ok = await grant(t, 'oob', {
        mfa_token: login.mfa_token,
        oob_code: ch.json().oob_code,
        binding_code: code(text),
      });
      assert.equal(ok.statusCode, 200);
    });

    it('expires an oob_code after 5 minutes and refuses a malformed one', async () => {
      t.clock.advance(MFA_LIMITS.sendIntervalMs);
      const login = await passwordLogin(t);
      const ch = (await challenge(t, { mfa_token: login.mfa_token, challenge_type: 'oob' })).json();
      const malformed = await grant(t, 'oob', {
        mfa_token: login.mfa_token,
        oob_code: 'bogus',
        binding_code: '123456',
      });
      assert.deepEqual(malformed.json(), { error: 'invalid_grant', error_description: 'Malformed oob_code' });
      t.clock.advance(5 * 60_000 + 1);
      const expired = await grant(t, 'oob', {
        mfa_token: login.mfa_token,
        oob_code: ch.oob_code,
        binding_code: '123456',
      });
      assert.equal(expired.statusCode, 403);
      assert.deepEqual(expired.json(), { error: 'expired_token', error_description: 'oob_code is expired' });
    });

    it('enrolls email for a user without factors: the code arrives by SMTP', async () => {
      const { addUser } = await import('../helpers/app.js');
      await addUser(t.rt, {
        user_id: 'auth0|erin',
        connection_id: 'con_default',
        email: 'erin@acme.test',
        password: ALICE.password,
      });
      const login = await passwordLogin(t, {}, 'erin@acme.test');
      const mail = smtp.next('erin@acme.test');
      const res = await associate(t, login.mfa_token, {
        authenticator_types: ['oob'],
        oob_channels: ['email'],
      });
      assert.equal(res.statusCode, 200, res.body);
      const received = await mail;
      assert.equal(received.subject, 'Acme verification code');
      const ok = await grant(t, 'oob', {
        mfa_token: login.mfa_token,
        oob_code: res.json().oob_code,
        binding_code: code(received.text),
      });
      assert.equal(ok.statusCode, 200, ok.body);
      const next = await passwordLogin(t, {}, 'erin@acme.test');
      assert.deepEqual(next.mfa_requirements, { challenge: [{ type: 'email' }] });
      const listed = (await authenticators(t, next.mfa_token)).json();
      assert.equal(listed[0].name, '****@acme*****');
    });

    it('refuses a bad phone number and an unknown authenticator type', async () => {
      const { addUser } = await import('../helpers/app.js');
      await addUser(t.rt, {
        user_id: 'auth0|finn',
        connection_id: 'con_default',
        email: 'finn@acme.test',
        password: ALICE.password,
      });
      const { mfa_token } = await passwordLogin(t, {}, 'finn@acme.test');
      const bad = await associate(t, mfa_token, {
        authenticator_types: ['oob'],
        oob_channels: ['sms'],
        phone_number: '555-1234',
      });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(bad.json(), {
        error: 'invalid_request',
        error_description: 'phone_number must be in E.164 format, such as +14155550123',
      });
      const long = await associate(t, mfa_token, {
        authenticator_types: ['oob'],
        oob_channels: ['email'],
        email: `${'a'.repeat(600)}@acme.test`,
      });
      assert.equal(long.statusCode, 400, 'not a 500 from a column too narrow');
      assert.deepEqual(long.json(), {
        error: 'invalid_request',
        error_description: 'email must be an email address',
      });
      const type = await associate(t, mfa_token, { authenticator_types: ['push'] });
      assert.equal(type.statusCode, 400);
      assert.equal(type.json().error, 'invalid_request');
    });
  });
}
