import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { putSetting } from '../../src/store/repos/settings.js';
import { ALICE, startTestApp, type TestApp, tokenRequest, ALICE_LOGIN } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const alice = ALICE_LOGIN;

for (const kind of storeKinds) {
  describe(`Auth0's texts and headers (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    const json = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/oauth/token', payload });

    it('takes scope as a JSON array of scope names, and answers anything else with invalid_scope', async () => {
      const ok = await json({ ...alice, scope: ['openid', 'read:orders'] });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().scope, undefined, 'granted as requested');
      for (const scope of [42, { a: 1 }, ['openid', 7], ['openid profile'], [''], true]) {
        const res = await json({ ...alice, scope });
        assert.equal(res.statusCode, 400, JSON.stringify(scope));
        assert.deepEqual(res.json(), {
          error: 'invalid_scope',
          error_description: 'Scope must be an array or a string',
        });
      }
      const twice = await tokenRequest(t.app, alice).then(() =>
        t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `${new URLSearchParams(alice)}&scope=openid&scope=email`,
        }),
      );
      assert.deepEqual(twice.json(), {
        error: 'invalid_request',
        error_description: 'Parameter scope must not be sent more than once',
      });
    });

    it('promises an email in the brute-force text only when user_notification sends one, and sends Retry-After', async () => {
      for (const [shields, text] of [
        [
          ['block', 'user_notification'],
          "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it.",
        ],
        [['block'], 'Your account has been blocked after multiple consecutive login attempts.'],
      ] as const) {
        const username = `bf-${shields.length}@acme.test`;
        await putSetting(t.rt.store.db, 'attackProtection', {
          bruteForceProtection: { max_attempts: 2, shields: [...shields] },
          suspiciousIpThrottling: { enabled: false },
        });
        for (let i = 0; i < 2; i++) await tokenRequest(t.app, { ...alice, username, password: 'x' });
        const res = await tokenRequest(t.app, { ...alice, username, password: 'x' });
        assert.equal(res.statusCode, 429);
        assert.deepEqual(res.json(), { error: 'too_many_attempts', error_description: text });
        assert.equal(res.headers['retry-after'], '3600');
      }
    });

    it('sends Retry-After with the suspicious-IP 429: when an attempt is back', async () => {
      await putSetting(t.rt.store.db, 'attackProtection', {
        bruteForceProtection: { enabled: false },
        suspiciousIpThrottling: { stage: { 'pre-login': { max_attempts: 2, rate: 90_500 } } },
      });
      const from = (username: string) =>
        t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          remoteAddress: '198.51.100.77',
          payload: { ...alice, username, password: 'x' },
        });
      await from('a@acme.test');
      await from('b@acme.test');
      const res = await from('c@acme.test');
      assert.equal(res.statusCode, 429);
      assert.equal(res.headers['retry-after'], '91');
      assert.equal(res.headers['x-ratelimit-limit'], '2');
      assert.equal(res.headers['x-ratelimit-remaining'], '0');
      assert.equal(res.headers['x-ratelimit-reset'], String(Math.ceil((t.clock.t + 2 * 90_500) / 1000)));
    });

    it("sends X-RateLimit-* on password logins: the IP's suspicious-IP bucket", async () => {
      await putSetting(t.rt.store.db, 'attackProtection', {});
      const from = (password: string) =>
        t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          remoteAddress: '198.51.100.78',
          payload: { ...alice, password },
        });
      const first = await from('wrong');
      assert.equal(first.statusCode, 403);
      assert.equal(first.headers['x-ratelimit-limit'], '100');
      assert.equal(first.headers['x-ratelimit-remaining'], '99');
      assert.equal(first.headers['x-ratelimit-reset'], String(Math.ceil((t.clock.t + 864_000) / 1000)));
      const ok = await from(ALICE.password);
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['x-ratelimit-remaining'], '99', 'a success gives its attempt back');
    });
  });
}
