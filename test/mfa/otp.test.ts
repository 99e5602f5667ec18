import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { totpAt } from '../../src/mfa/totp.js';
import { listEvents } from '../../src/store/repos/events.js';
import { ALICE, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { associate, authenticators, challenge, grant, passwordLogin, setUpMfa } from './helpers.js';

for (const kind of storeKinds) {
  describe(`MFA with OTP (${kind.name})`, () => {
    let t: TestApp;
    let secret: string;
    let recovery: string;
    before(async () => {
      t = await startTestApp(kind);
      await setUpMfa(t);
    });
    after(() => t.close());

    it('answers mfa_required with the factors to enroll', async () => {
      const body = await passwordLogin(t);
      assert.deepEqual(Object.keys(body), ['error', 'error_description', 'mfa_token', 'mfa_requirements']);
      assert.equal(body.error, 'mfa_required');
      assert.equal(body.error_description, 'Multifactor authentication required');
      assert.match(body.mfa_token, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(body.mfa_requirements, {
        enroll: [{ type: 'otp' }, { type: 'sms' }, { type: 'email' }],
      });
      assert.equal((await listEvents(t.rt.store.db, { limit: 1 }))[0]!.type, 'mfar');
    });

    it('enrolls OTP with the mfa_token alone and completes the login with a code', async () => {
      const { mfa_token } = await passwordLogin(t);
      const res = await associate(t, mfa_token, { authenticator_types: ['otp'] });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.deepEqual(Object.keys(body), ['authenticator_type', 'secret', 'barcode_uri', 'recovery_codes']);
      assert.equal(body.authenticator_type, 'otp');
      assert.match(body.secret, /^[A-Z2-7]{32}$/);
      assert.equal(
        body.barcode_uri,
        `otpauth://totp/Acme:alice%40acme.test?secret=${body.secret}&issuer=Acme&algorithm=SHA1&digits=6&period=30`,
      );
      assert.equal(body.recovery_codes.length, 1);
      assert.match(body.recovery_codes[0], /^[A-Z2-7]{24}$/);
      secret = body.secret;
      recovery = body.recovery_codes[0];

      const listed = (await authenticators(t, mfa_token)).json();
      assert.deepEqual(
        listed.map((a: { authenticator_type: string; active: boolean }) => [a.authenticator_type, a.active]),
        [
          ['otp', false],
          ['recovery-code', false],
        ],
      );

      const done = await grant(t, 'otp', { mfa_token, otp: totpAt(secret, t.clock.t) });
      assert.equal(done.statusCode, 200, done.body);
      const tokens = done.json();
      // What the password grant would have answered: scope is not echoed since it was granted as asked.
      assert.deepEqual(Object.keys(tokens), [
        'access_token',
        'id_token',
        'refresh_token',
        'expires_in',
        'token_type',
      ]);
      const access = decodeJwt(tokens.access_token);
      assert.equal(access.scope, 'openid offline_access read:orders');
      assert.equal(access.sub, ALICE.id);
      assert.equal(access.gty, 'password');
      assert.equal(access.azp, 'mfa-app');
      const refreshed = await tokenRequest(t.app, {
        grant_type: 'refresh_token',
        client_id: 'mfa-app',
        client_secret: SECRET,
        refresh_token: tokens.refresh_token,
      });
      assert.equal(refreshed.statusCode, 200, 'the refresh token works without MFA again');
      const types = (await listEvents(t.rt.store.db, { limit: 5 })).map((e) => e.type);
      assert.ok(types.includes('seotpft') && types.includes('gd_enrollment_complete'), types.join());

      const reused = await grant(t, 'otp', { mfa_token, otp: totpAt(secret, t.clock.t + 30_000) });
      assert.equal(reused.statusCode, 403);
      assert.deepEqual(reused.json(), { error: 'invalid_grant', error_description: 'Malformed mfa_token' });
    });

    it('then asks for a challenge, refuses a second enrolment and a replayed code', async () => {
      t.clock.advance(30_000);
      const body = await passwordLogin(t);
      assert.deepEqual(body.mfa_requirements, { challenge: [{ type: 'otp' }] });
      const again = await associate(t, body.mfa_token, { authenticator_types: ['otp'] });
      assert.equal(again.statusCode, 403);
      assert.deepEqual(again.json(), {
        error: 'access_denied',
        error_description: 'User is already enrolled',
      });
      const ch = await challenge(t, { mfa_token: body.mfa_token, challenge_type: 'otp' });
      assert.deepEqual(ch.json(), { challenge_type: 'otp' });
      const code = totpAt(secret, t.clock.t);
      assert.equal((await grant(t, 'otp', { mfa_token: body.mfa_token, otp: code })).statusCode, 200);
      const next = await passwordLogin(t);
      const replay = await grant(t, 'otp', { mfa_token: next.mfa_token, otp: code });
      assert.equal(replay.statusCode, 403);
      assert.deepEqual(replay.json(), { error: 'invalid_grant', error_description: 'Invalid otp_code.' });
      t.clock.advance(30_000);
      assert.equal(
        (await grant(t, 'otp', { mfa_token: next.mfa_token, otp: totpAt(secret, t.clock.t) })).statusCode,
        200,
      );
    });

    it('lets exactly one of two concurrent uses of one code win', async () => {
      t.clock.advance(30_000);
      const a = await passwordLogin(t);
      const b = await passwordLogin(t);
      const code = totpAt(secret, t.clock.t);
      const results = await Promise.all([
        grant(t, 'otp', { mfa_token: a.mfa_token, otp: code }),
        grant(t, 'otp', { mfa_token: b.mfa_token, otp: code }),
      ]);
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 403]);
    });

    it('answers malformed and expired mfa_tokens, and a wrong client', async () => {
      const malformed = await grant(t, 'otp', { mfa_token: 'nope', otp: '123456' });
      assert.equal(malformed.statusCode, 403);
      assert.deepEqual(malformed.json(), {
        error: 'invalid_grant',
        error_description: 'Malformed mfa_token',
      });
      const { mfa_token } = await passwordLogin(t);
      const other = await tokenRequest(t.app, {
        grant_type: 'http://auth0.com/oauth/grant-type/mfa-otp',
        client_id: 'acme-web',
        client_secret: SECRET,
        mfa_token,
        otp: '1',
      });
      assert.equal(other.statusCode, 403, 'acme-web may not use the grant');
      t.clock.advance(10 * 60_000);
      const expired = await grant(t, 'otp', { mfa_token, otp: totpAt(secret, t.clock.t) });
      assert.equal(expired.statusCode, 403);
      assert.deepEqual(expired.json(), { error: 'expired_token', error_description: 'mfa_token is expired' });
    });

    it('draws failed codes from a bucket of 10 that refills one per 6 minutes', async () => {
      t.clock.advance(60 * 60_000);
      const { mfa_token } = await passwordLogin(t);
      for (let i = 0; i < 10; i++) {
        const res = await grant(t, 'otp', { mfa_token, otp: '000000' });
        assert.deepEqual(
          res.json(),
          { error: 'invalid_grant', error_description: 'Invalid otp_code.' },
          `attempt ${i}`,
        );
      }
      const blocked = await grant(t, 'otp', { mfa_token, otp: totpAt(secret, t.clock.t) });
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.json().error, 'too_many_attempts');
      assert.equal(blocked.headers['retry-after'], '360', 'one attempt is back every 6 minutes');
      t.clock.advance(6 * 60_000);
      const fresh = await passwordLogin(t);
      assert.equal(
        (await grant(t, 'otp', { mfa_token: fresh.mfa_token, otp: totpAt(secret, t.clock.t) })).statusCode,
        200,
      );
    });

    it('uses and renews the recovery code', async () => {
      t.clock.advance(60 * 60_000);
      const { mfa_token } = await passwordLogin(t);
      const res = await grant(t, 'recovery', { mfa_token, recovery_code: recovery });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.ok(body.access_token);
      assert.match(body.recovery_code, /^[A-Z2-7]{24}$/);
      assert.notEqual(body.recovery_code, recovery);
      const next = await passwordLogin(t);
      const old = await grant(t, 'recovery', { mfa_token: next.mfa_token, recovery_code: recovery });
      assert.deepEqual(old.json(), { error: 'invalid_grant', error_description: 'Invalid recovery code.' });
      assert.equal(
        (await grant(t, 'recovery', { mfa_token: next.mfa_token, recovery_code: body.recovery_code }))
          .statusCode,
        200,
      );
    });

    it('removes an authenticator with an MFA API token; the user must enroll again', async () => {
      t.clock.advance(60 * 60_000);
      const { mfa_token } = await passwordLogin(t, {
        audience: 'https://tessera.test/mfa/',
        scope: 'read:authenticators remove:authenticators',
      });
      const granted = await grant(t, 'otp', { mfa_token, otp: totpAt(secret, t.clock.t) });
      assert.equal(granted.statusCode, 200, granted.body);
      const tokens = granted.json();
      const listed = await authenticators(t, tokens.access_token);
      assert.equal(listed.statusCode, 200, listed.body);
      const list = listed.json();
      const otp = list.find((a: { authenticator_type: string }) => a.authenticator_type === 'otp');
      const noScope = await t.app.inject({
        method: 'DELETE',
        url: `/mfa/authenticators/${otp.id}`,
        headers: { authorization: `Bearer ${mfa_token}` },
      });
      assert.notEqual(noScope.statusCode, 204);
      const del = await t.app.inject({
        method: 'DELETE',
        url: `/mfa/authenticators/${otp.id}`,
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(del.statusCode, 204);
      const gone = await t.app.inject({
        method: 'DELETE',
        url: `/mfa/authenticators/${otp.id}`,
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(gone.statusCode, 404);
      const body = await passwordLogin(t);
      assert.deepEqual(body.mfa_requirements, {
        enroll: [{ type: 'otp' }, { type: 'sms' }, { type: 'email' }],
      });
      const ch = await challenge(t, { mfa_token: body.mfa_token, challenge_type: 'otp' });
      assert.equal(ch.statusCode, 400);
      assert.deepEqual(ch.json(), {
        error: 'unsupported_challenge_type',
        error_description:
          'User is not enrolled. You can use /mfa/associate endpoint to enroll the first authenticator.',
      });
    });
  });
}
