import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lift } from '../../src/protection/lift.js';
import type { Store } from '../../src/store/db.js';
import { listEvents } from '../../src/store/repos/events.js';
import { ALICE, TestClock } from '../helpers/app.js';
import { type TestSmtp, startSmtp } from '../helpers/smtp.js';
import {
  ADMIN,
  type Env,
  type Node,
  SUSPICIOUS_IP_BODY,
  WRONG_BODY,
  cleanRedis,
  countEvents,
  login,
  matrix,
  newEnv,
  seededStore,
  startNode,
  withSetting,
  wrong,
} from './helpers.js';

const RATE = 60_000;
const SETTING = {
  bruteForceProtection: { enabled: false },
  suspiciousIpThrottling: {
    enabled: true,
    shields: ['block', 'admin_notification'],
    allowlist: ['192.0.2.128/25'],
    stage: { 'pre-login': { max_attempts: 4, rate: RATE } },
  },
};

for (const m of matrix) {
  describe(`suspicious IP throttling (${m.name})`, () => {
    let store: Store;
    let env: Env;
    let node: Node;
    let smtp: TestSmtp;
    const clock = new TestClock();

    before(async () => {
      smtp = await startSmtp();
      env = newEnv(m.counters, { TESSERA_SMTP_URL: smtp.url, TESSERA_ADMIN_EMAILS: ADMIN });
      store = await seededStore(m.store, SETTING);
      node = await startNode(store, env, clock);
    });
    after(async () => {
      await node.stop();
      await store.close();
      await cleanRedis(env);
      await smtp.close();
    });

    /** Spends the IP's attempts on wrong passwords for different (unknown) accounts. */
    async function exhaust(ip: string, n = 4) {
      for (let i = 0; i < n; i++) {
        const res = await login(node.app, wrong({ username: `u${i}-${ip}@acme.test`, ip }));
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), WRONG_BODY);
      }
    }
    const alice = (ip: string) => login(node.app, { ip });
    const adminMails = async (ip: string) => {
      await node.rt.protection.idle();
      return smtp.mails.filter((x) => x.to.includes(ADMIN) && x.subject.includes(ip));
    };

    it('throttles an IP after max_attempts failures across accounts, before checking passwords', async () => {
      const ip = '203.0.113.31';
      await exhaust(ip);
      const checked = (await countEvents(node.rt, 'fu')) + (await countEvents(node.rt, 'fp'));
      for (const res of [await alice(ip), await login(node.app, wrong({ ip }))]) {
        assert.equal(res.statusCode, 429);
        assert.deepEqual(res.json(), SUSPICIOUS_IP_BODY);
      }
      assert.equal((await countEvents(node.rt, 'fu')) + (await countEvents(node.rt, 'fp')), checked);
      const [limit] = await listEvents(store.db, { type: 'limit_mu', limit: 1 });
      assert.equal(limit!.ip, ip);
      assert.equal((await alice('203.0.113.32')).statusCode, 200, 'other IPs are not affected');
    });

    it('emails the admins once per IP and window', async () => {
      const ip = '203.0.113.31';
      const [mail, ...more] = await adminMails(ip);
      assert.equal(more.length, 0);
      assert.equal(mail!.subject, `Acme: suspicious logins from ${ip}`);
      assert.match(mail!.text, /made 4 failed login attempts across accounts of Acme/);
      assert.match(mail!.text, /tessera blocks clear --ip 203\.0\.113\.31/);
      clock.advance(RATE); // one attempt regained, spent, throttled again within the window
      await login(node.app, wrong({ ip }));
      assert.equal((await alice(ip)).statusCode, 429);
      assert.equal((await adminMails(ip)).length, 1);
    });

    it('gives back one attempt per rate (a token bucket)', async () => {
      const ip = '203.0.113.33';
      await exhaust(ip);
      assert.equal((await alice(ip)).statusCode, 429);
      clock.advance(RATE - 1);
      assert.equal((await alice(ip)).statusCode, 429);
      clock.advance(1);
      assert.equal((await login(node.app, wrong({ ip }))).statusCode, 403);
      assert.equal((await alice(ip)).statusCode, 429);
      clock.advance(2 * RATE);
      assert.equal((await alice(ip)).statusCode, 200);
      assert.equal((await alice(ip)).statusCode, 200, 'a success does not spend an attempt');
      await exhaust(ip, 2);
      assert.equal((await alice(ip)).statusCode, 429);
    });

    it('does not count successes, nor allowlisted addresses', async () => {
      const ip = '203.0.113.34';
      await exhaust(ip, 3);
      for (let i = 0; i < 6; i++) assert.equal((await alice(ip)).statusCode, 200);
      await exhaust(ip, 1);
      assert.equal((await alice(ip)).statusCode, 429);
      await exhaust('192.0.2.200', 10);
      assert.equal((await alice('192.0.2.200')).statusCode, 200);
    });

    it('is lifted by tessera blocks clear --ip, and survives a restart until then', async () => {
      const ip = '203.0.113.35';
      await exhaust(ip);
      await node.stop();
      node = await startNode(store, env, clock);
      assert.equal((await alice(ip)).statusCode, 429);
      assert.equal((await lift(store.db, { ip }, clock.now(), 'admin')).length, 1);
      clock.advance(5_000);
      assert.equal((await alice(ip)).statusCode, 200);
      await exhaust(ip);
    });

    it('holds under concurrency: at most max_attempts of 30 concurrent failures are checked', async () => {
      const ip = '203.0.113.36';
      const before = await countEvents(node.rt, 'fu');
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => login(node.app, wrong({ username: `c${i}@acme.test`, ip }))),
      );
      const checked = (await countEvents(node.rt, 'fu')) - before;
      assert.ok(checked <= 4, `${checked} checked`);
      assert.equal(answers.filter((r) => r.statusCode === 429).length, 30 - checked);
    });

    it('only notifies without the block shield', async () => {
      const setting = {
        ...SETTING,
        suspiciousIpThrottling: { ...SETTING.suspiciousIpThrottling, shields: ['admin_notification'] },
      };
      await withSetting(node.rt, setting, async () => {
        const ip = '203.0.113.37';
        await exhaust(ip, 6);
        assert.equal((await login(node.app, { username: ALICE.email, ip })).statusCode, 200);
        assert.equal((await adminMails(ip)).length, 1);
      });
    });
  });
}
