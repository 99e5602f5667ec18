import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { totpAt } from '../../src/mfa/totp.js';
import { readOutbox } from '../../src/notify/outbox.js';
import { ALICE, addUser, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { associate, authenticators, grant, passwordLogin, setUpMfa } from './helpers.js';

const QUINN = 'quinn@acme.test';
const NO_OTP = {
  error: 'unsupported_challenge_type',
  error_description: 'The user has no active otp authenticator.',
};

/** The latest code the outbox holds for an address (no SMTP configured). */
async function lastCode(t: TestApp, to: string): Promise<string> {
  const [mail] = await readOutbox(t.rt.store, t.rt.config.secret, { limit: 1, recipient: to });
  return /verification code is (\d{6})/.exec(mail?.body ?? '')?.[1] ?? assert.fail('no code sent');
}

/**
 * An unconfirmed authenticator belongs to the MFA transaction that enrolled
 * it: only that transaction's first verification confirms it, and only while
 * the user has no other confirmed factor.
 */
for (const kind of storeKinds) {
  describe(`MFA enrolments are bound to their transaction (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await setUpMfa(t);
      await addUser(t.rt, {
        user_id: 'auth0|quinn',
        connection_id: 'con_default',
        email: QUINN,
        password: ALICE.password,
      });
    });
    after(() => t.close());

    it("never answers another login's challenge, nor confirms once another factor is", async () => {
      const a = await passwordLogin(t, {}, QUINN);
      const otp = await associate(t, a.mfa_token, { authenticator_types: ['otp'] });
      assert.equal(otp.statusCode, 200, otp.body);
      const secret = otp.json().secret;

      // Login B is not enrolled either; A's pending OTP is no answer to it.
      t.clock.advance(1000);
      const b = await passwordLogin(t, {}, QUINN);
      assert.deepEqual(b.mfa_requirements, { enroll: [{ type: 'otp' }, { type: 'sms' }, { type: 'email' }] });
      const foreign = await grant(t, 'otp', { mfa_token: b.mfa_token, otp: totpAt(secret, t.clock.t) });
      assert.equal(foreign.statusCode, 400);
      assert.deepEqual(foreign.json(), NO_OTP);

      // B enrolls email and confirms it: only B's email becomes active, A's OTP stays pending.
      const email = await associate(t, b.mfa_token, {
        authenticator_types: ['oob'],
        oob_channels: ['email'],
      });
      assert.equal(email.statusCode, 200, email.body);
      const done = await grant(t, 'oob', {
        mfa_token: b.mfa_token,
        oob_code: email.json().oob_code,
        binding_code: await lastCode(t, QUINN),
      });
      assert.equal(done.statusCode, 200, done.body);
      const listed = (await authenticators(t, a.mfa_token)).json();
      assert.deepEqual(
        listed.map((x: { authenticator_type: string; active: boolean }) => [x.authenticator_type, x.active]),
        [
          ['otp', false],
          ['oob', true],
          ['recovery-code', true],
        ],
      );

      // Now the user has a confirmed factor: A, a password alone, can no longer confirm its OTP.
      const late = await grant(t, 'otp', { mfa_token: a.mfa_token, otp: totpAt(secret, t.clock.t) });
      assert.equal(late.statusCode, 400);
      assert.deepEqual(late.json(), NO_OTP);
      const next = await passwordLogin(t, {}, QUINN);
      assert.deepEqual(next.mfa_requirements, { challenge: [{ type: 'email' }] });
    });
  });
}
