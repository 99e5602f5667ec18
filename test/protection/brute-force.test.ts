import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listEvents } from '../../src/store/repos/events.js';
import { upsertConnection } from '../../src/store/repos/connections.js';
import type { Store } from '../../src/store/db.js';
import { TestClock } from '../helpers/app.js';
import { type TestSmtp, startSmtp } from '../helpers/smtp.js';
import {
  BRUTE_FORCE_BODY,
  type Env,
  type Node,
  WRONG_BODY,
  cleanRedis,
  countEvents,
  login,
  matrix,
  newEnv,
  newUser,
  seededStore,
  startNode,
  withSetting,
  wrong,
} from './helpers.js';

const SETTING = {
  bruteForceProtection: { enabled: true, max_attempts: 3, shields: ['block', 'user_notification'] },
  suspiciousIpThrottling: { enabled: false },
};

for (const m of matrix) {
  describe(`brute-force protection (${m.name})`, () => {
    let store: Store;
    let env: Env;
    let node: Node;
    let smtp: TestSmtp;
    const clock = new TestClock();

    before(async () => {
      smtp = await startSmtp();
      env = newEnv(m.counters, { TESSERA_SMTP_URL: smtp.url });
      store = await seededStore(m.store, SETTING);
      node = await startNode(store, env, clock);
    });
    after(async () => {
      await node.stop();
      await store.close();
      await cleanRedis(env);
      await smtp.close();
    });

    it('blocks an identifier from one IP after max_attempts failures, before checking the password', async () => {
      const bob = await newUser(node.rt, 'bob');
      const ip = '203.0.113.1';
      for (let i = 0; i < 3; i++) {
        const res = await login(node.app, wrong({ username: bob.email, ip }));
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), WRONG_BODY);
      }
      const fp = await countEvents(node.rt, 'fp');
      for (const password of [bob.password, 'another guess']) {
        const res = await login(node.app, { username: bob.email, password, ip });
        assert.equal(res.statusCode, 429);
        assert.deepEqual(res.json(), BRUTE_FORCE_BODY);
        assert.equal(res.headers['cache-control'], 'no-store');
      }
      assert.equal(await countEvents(node.rt, 'fp'), fp, 'no password was checked while blocked');
      const limits = (await listEvents(store.db, { type: 'limit_wc' })).filter(
        (e) => e.user_name === bob.email,
      );
      assert.equal(limits.length, 3, 'one at the block, one per refused attempt');
      assert.ok(limits.every((e) => e.ip === ip));
      assert.equal(limits.at(-1)!.user_id, bob.id);
    });

    it('still lets the user in from another IP (count_per_identifier_and_ip)', async () => {
      const carol = await newUser(node.rt, 'carol');
      for (let i = 0; i < 3; i++) await login(node.app, wrong({ username: carol.email, ip: '203.0.113.2' }));
      assert.equal(
        (await login(node.app, { username: carol.email, password: carol.password, ip: '203.0.113.2' }))
          .statusCode,
        429,
      );
      const res = await login(node.app, {
        username: carol.email,
        password: carol.password,
        ip: '198.51.100.2',
      });
      assert.equal(res.statusCode, 200);
    });

    it('forgets the failures of an identifier and IP after a successful login', async () => {
      const dave = await newUser(node.rt, 'dave');
      const ip = '203.0.113.3';
      for (const round of [1, 2]) {
        for (let i = 0; i < 2; i++) await login(node.app, wrong({ username: dave.email, ip }));
        const ok = await login(node.app, { username: dave.email, password: dave.password, ip });
        assert.equal(ok.statusCode, 200, `round ${round}`);
      }
    });

    it('counts unknown identifiers like users, case-insensitively, with the same answers', async () => {
      const ip = '203.0.113.4';
      for (const username of ['ghost@acme.test', 'Ghost@Acme.test', 'GHOST@ACME.TEST']) {
        const res = await login(node.app, wrong({ username, ip }));
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), WRONG_BODY);
      }
      const res = await login(node.app, wrong({ username: 'ghost@acme.test', ip }));
      assert.equal(res.statusCode, 429);
      assert.deepEqual(res.json(), BRUTE_FORCE_BODY);
    });

    it('with count_per_identifier, blocks the identifier from every IP', async () => {
      const erin = await newUser(node.rt, 'erin');
      const setting = {
        ...SETTING,
        bruteForceProtection: { ...SETTING.bruteForceProtection, mode: 'count_per_identifier' as const },
      };
      await withSetting(node.rt, setting, async () => {
        for (const ip of ['203.0.113.5', '203.0.113.6', '203.0.113.7']) {
          assert.equal((await login(node.app, wrong({ username: erin.email, ip }))).statusCode, 403);
        }
        const res = await login(node.app, {
          username: erin.email,
          password: erin.password,
          ip: '192.0.2.99',
        });
        assert.equal(res.statusCode, 429);
      });
    });

    it('does not count allowlisted IPs and CIDR ranges (IPv4, IPv6, IPv4-mapped)', async () => {
      const frank = await newUser(node.rt, 'frank');
      const setting = {
        ...SETTING,
        bruteForceProtection: {
          ...SETTING.bruteForceProtection,
          allowlist: ['198.51.100.0/24', '2001:db8::/32'],
        },
      };
      await withSetting(node.rt, setting, async () => {
        for (const ip of ['198.51.100.7', '2001:db8::5', '::ffff:198.51.100.9']) {
          for (let i = 0; i < 4; i++) {
            assert.equal((await login(node.app, wrong({ username: frank.email, ip }))).statusCode, 403);
          }
          const res = await login(node.app, { username: frank.email, password: frank.password, ip });
          assert.equal(res.statusCode, 200, ip);
        }
        for (let i = 0; i < 3; i++)
          await login(node.app, wrong({ username: frank.email, ip: '198.51.101.1' }));
        const outside = await login(node.app, wrong({ username: frank.email, ip: '198.51.101.1' }));
        assert.equal(outside.statusCode, 429, 'outside the range');
      });
    });

    it('is off for a connection with brute_force_protection: false', async () => {
      await upsertConnection(
        store.db,
        {
          id: 'con_employees',
          name: 'employees',
          strategy: 'auth0',
          realms: ['staff'],
          enabled_clients: ['acme-web'],
          options: { brute_force_protection: false },
        },
        clock.now(),
      );
      const gina = await newUser(node.rt, 'gina', 'con_employees');
      const form = { realm: 'employees' };
      for (let i = 0; i < 5; i++) {
        const res = await login(node.app, wrong({ username: gina.email, ip: '203.0.113.8', form }));
        assert.equal(res.statusCode, 403);
      }
      const res = await login(node.app, {
        username: gina.email,
        password: gina.password,
        ip: '203.0.113.8',
        form,
      });
      assert.equal(res.statusCode, 200);
    });

    it('keeps blocks across a restart (a new runtime on the same database)', async () => {
      const hank = await newUser(node.rt, 'hank');
      const ip = '203.0.113.9';
      for (let i = 0; i < 3; i++) await login(node.app, wrong({ username: hank.email, ip }));
      await node.stop();
      node = await startNode(store, env, clock);
      const res = await login(node.app, { username: hank.email, password: hank.password, ip });
      assert.equal(res.statusCode, 429);
      assert.deepEqual(res.json(), BRUTE_FORCE_BODY);
      const elsewhere = await login(node.app, {
        username: hank.email,
        password: hank.password,
        ip: '192.0.2.9',
      });
      assert.equal(elsewhere.statusCode, 200);
    });

    it('lets at most max_attempts of 50 concurrent wrong passwords reach the password check', async () => {
      const ivan = await newUser(node.rt, 'ivan');
      const setting = {
        ...SETTING,
        bruteForceProtection: { ...SETTING.bruteForceProtection, max_attempts: 10 },
      };
      await withSetting(node.rt, setting, async () => {
        const before = await countEvents(node.rt, 'fp');
        const answers = await Promise.all(
          Array.from({ length: 50 }, () =>
            login(node.app, wrong({ username: ivan.email, ip: '203.0.113.10' })),
          ),
        );
        const verified = (await countEvents(node.rt, 'fp')) - before;
        const statuses = answers.map((r) => r.statusCode);
        assert.ok(verified <= 10, `${verified} passwords checked`);
        assert.equal(statuses.filter((s) => s === 403).length, verified);
        assert.equal(statuses.filter((s) => s === 429).length, 50 - verified);
        const res = await login(node.app, {
          username: ivan.email,
          password: ivan.password,
          ip: '203.0.113.10',
        });
        assert.equal(res.statusCode, 429);
      });
    });

    it('sends the user an email with an unblock link when the block starts', async () => {
      const judy = await newUser(node.rt, 'judy');
      for (let i = 0; i < 3; i++) await login(node.app, wrong({ username: judy.email, ip: '203.0.113.11' }));
      await node.rt.protection.idle();
      const mails = smtp.mails.filter((mail) => mail.to.includes(judy.email));
      assert.equal(mails.length, 1);
      assert.equal(mails[0]!.subject, 'Your Acme account has been blocked');
      assert.match(
        mails[0]!.text,
        /3 consecutive failed attempts to log in to your Acme account \(judy@acme\.test\) from the IP address 203\.0\.113\.11/,
      );
      assert.match(mails[0]!.text, /https:\/\/tessera\.test\/unblock\?ticket=[\w-]+\.[\w-]+/);
    });
  });
}
