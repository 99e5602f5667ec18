import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backgroundOf } from '../../src/notify/background.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changePassword, signup } from '../helpers/dbconnections.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { cleanRedis, matrix, newEnv, REDIS_URL } from './helpers.js';

const base = {
  client_id: 'acme-web',
  connection: 'Username-Password-Authentication',
  password: 'Good-Enough-42',
};

/** The sign-up stage and the reset-request limits, with counters in memory and in Redis. */
for (const { counters, store, name } of matrix) {
  describe(`account limits: pre-user-registration stage, reset requests (${name})`, () => {
    const env = newEnv(counters);
    let t: TestApp;
    let smtp: TestSmtp;
    before(async () => {
      smtp = await startSmtp();
      t = await startTestApp(store, {
        env: {
          TESSERA_SMTP_URL: smtp.url,
          TESSERA_REDIS_PREFIX: env.prefix,
          ...(counters === 'redis' ? { TESSERA_REDIS_URL: REDIS_URL } : {}),
        },
      });
    });
    after(async () => {
      await backgroundOf(t.rt, t.rt.log).idle();
      await t.close();
      await smtp.close();
      await cleanRedis(env);
    });

    it('follows the tenant’s stage settings and allowlist', async () => {
      await putSetting(t.rt.store.db, 'attackProtection', {
        suspiciousIpThrottling: { stage: { 'pre-user-registration': { max_attempts: 2, rate: 60_000 } } },
      });
      assert.equal((await signup(t, { ...base, email: 'a1@example.com' })).statusCode, 200);
      assert.equal((await signup(t, { ...base, email: 'a2@example.com' })).statusCode, 200);
      const third = await signup(t, { ...base, email: 'a3@example.com' });
      assert.equal(third.statusCode, 429);
      assert.equal(third.headers['retry-after'], '60');
      t.clock.advance(60_000);
      assert.equal((await signup(t, { ...base, email: 'a3@example.com' })).statusCode, 200);

      await putSetting(t.rt.store.db, 'attackProtection', {
        suspiciousIpThrottling: {
          allowlist: ['127.0.0.0/8'],
          stage: { 'pre-user-registration': { max_attempts: 1, rate: 60_000 } },
        },
      });
      for (let i = 0; i < 3; i++)
        assert.equal((await signup(t, { ...base, email: `b${i}@example.com` })).statusCode, 200);
      await putSetting(t.rt.store.db, 'attackProtection', {
        suspiciousIpThrottling: {
          shields: [],
          stage: { 'pre-user-registration': { max_attempts: 1, rate: 60_000 } },
        },
      });
      for (let i = 0; i < 3; i++)
        assert.equal((await signup(t, { ...base, email: `c${i}@example.com` })).statusCode, 200);
    });

    it('sends at most 3 reset emails to one address, then one per 20 minutes', async () => {
      await backgroundOf(t.rt, t.rt.log).idle();
      const resets = () =>
        smtp.mails.filter((m) => m.to.includes('a1@example.com') && /Reset/.test(m.subject)).length;
      for (let i = 0; i < 6; i++) assert.equal((await changePassword(t, 'a1@example.com')).statusCode, 200);
      await backgroundOf(t.rt, t.rt.log).idle();
      assert.equal(resets(), 3);
      t.clock.advance(20 * 60_000);
      await changePassword(t, 'a1@example.com');
      await changePassword(t, 'a1@example.com');
      await backgroundOf(t.rt, t.rt.log).idle();
      assert.equal(resets(), 4);
    });
  });
}
