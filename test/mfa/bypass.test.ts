import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newTotpSecret, totpAt } from '../../src/mfa/totp.js';
import { insertAuthenticator, listAuthenticators } from '../../src/store/repos/mfa-authenticators.js';
import { ALICE, API, ISSUER, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { rule, setScripts } from '../rules/helpers.js';
import { associate, authenticators, grant, passwordLogin, setUpMfa } from './helpers.js';

const MFA_API = `${ISSUER}mfa/`;
const EMAIL_ID = 'email|dev_victim';

/**
 * Issue 11, part 1: a rule asks for MFA for one API only; the victim has an
 * active email factor; the attacker knows only the password. Each step of
 * the attack as it worked before is now refused, over HTTP.
 */
for (const kind of storeKinds) {
  describe(`MFA bypass through the MFA API is closed (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await setUpMfa(t, []);
      await setScripts(t, {
        rules: [
          rule(
            'mfa-for-orders',
            `if (context.request.body.audience === '${API}') context.multifactor = { provider: 'any' };
             callback(null, user, context);`,
          ),
        ],
      });
      await insertAuthenticator(t.rt.store.db, {
        id: EMAIL_ID,
        user_id: ALICE.id,
        type: 'email',
        name: ALICE.email,
        secret_enc: null,
        code_hash: null,
        active: 1,
        last_step: 0,
        created_at: t.rt.now(),
      });
    });
    after(() => t.close());

    it('refuses each of the four steps with the password alone', async () => {
      // 1. A token for the MFA API: the rule does not fire for that audience, the MFA API itself asks.
      const step1 = await passwordLogin(t, {
        audience: MFA_API,
        scope: 'enroll read:authenticators remove:authenticators',
      });
      assert.equal(step1.error, 'mfa_required');
      assert.deepEqual(step1.mfa_requirements, { challenge: [{ type: 'email' }] });

      // 2. Enrolling the attacker's own OTP with what step 1 gave: the user is already enrolled.
      const step2 = await associate(t, step1.mfa_token, { authenticator_types: ['otp'] });
      assert.equal(step2.statusCode, 403);
      assert.deepEqual(step2.json(), {
        error: 'access_denied',
        error_description: 'User is already enrolled',
      });

      // 3. The protected API asks for the email factor; a TOTP code of the attacker's is no answer.
      const step3 = await passwordLogin(t, { audience: API, scope: 'read:orders' });
      assert.deepEqual(step3.mfa_requirements, { challenge: [{ type: 'email' }] });
      const otp = await grant(t, 'otp', {
        mfa_token: step3.mfa_token,
        otp: totpAt(newTotpSecret(), t.clock.t),
      });
      assert.equal(otp.statusCode, 400);
      assert.deepEqual(otp.json(), {
        error: 'unsupported_challenge_type',
        error_description: 'The user has no active otp authenticator.',
      });

      // 4. Removing the victim's factor with the mfa_token: it never carries remove:authenticators.
      const step4 = await t.app.inject({
        method: 'DELETE',
        url: `/mfa/authenticators/${encodeURIComponent(EMAIL_ID)}`,
        headers: { authorization: `Bearer ${step1.mfa_token}` },
      });
      assert.equal(step4.statusCode, 403);
      assert.deepEqual(step4.json(), {
        error: 'insufficient_scope',
        error_description: 'This needs an access token for the MFA API with the scope remove:authenticators',
      });

      // The victim's factor is untouched and nothing was added.
      const left = await listAuthenticators(t.rt.store.db, ALICE.id);
      assert.deepEqual(
        left.map((a) => [a.id, a.active]),
        [[EMAIL_ID, 1]],
      );
      const listed = await authenticators(t, step1.mfa_token);
      assert.deepEqual(listed.json(), [
        {
          id: EMAIL_ID,
          authenticator_type: 'oob',
          active: true,
          oob_channel: 'email',
          name: '****@acme*****',
        },
      ]);
    });
  });
}
