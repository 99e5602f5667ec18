import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UNBLOCK_PAGES } from '../../src/http/unblock.js';
import { lift, liftUserBlocks } from '../../src/protection/lift.js';
import { TICKET_TTL_MS, UnblockTickets } from '../../src/protection/tickets.js';
import type { Store } from '../../src/store/db.js';
import { listBlocks } from '../../src/store/repos/blocks.js';
import { listEvents } from '../../src/store/repos/events.js';
import { TestClock } from '../helpers/app.js';
import { type TestSmtp, startSmtp } from '../helpers/smtp.js';
import {
  type Env,
  type Node,
  cleanRedis,
  login,
  matrix,
  newEnv,
  newUser,
  seededStore,
  startNode,
  wrong,
} from './helpers.js';

const SETTING = {
  bruteForceProtection: { enabled: true, max_attempts: 3, shields: ['block', 'user_notification'] },
  suspiciousIpThrottling: { enabled: false },
};

for (const m of matrix) {
  describe(`lifting brute-force blocks (${m.name})`, () => {
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

    /** Blocks `name` from `ip` and returns the user and the unblock link's path and query. */
    async function blocked(name: string, ip: string) {
      const user = await newUser(node.rt, name);
      for (let i = 0; i < 3; i++) await login(node.app, wrong({ username: user.email, ip }));
      await node.rt.protection.idle();
      const mail = smtp.mails.find((x) => x.to.includes(user.email));
      const link = /https:\/\/tessera\.test(\/unblock\?ticket=\S+)/.exec(mail?.text ?? '')?.[1];
      assert.ok(link, 'an unblock link was mailed');
      const right = () => login(node.app, { username: user.email, password: user.password, ip });
      assert.equal((await right()).statusCode, 429);
      return { user, link, right };
    }

    const open = (url: string) => node.app.inject({ method: 'GET', url, remoteAddress: '198.51.100.77' });
    const page = (text: string) => new RegExp(`<p>${text.replace(/[.()]/g, '\\$&')}</p>`);

    it('lifts the block with the link once, resets the count, and logs ublkdu', async () => {
      const { user, link, right } = await blocked('liam', '203.0.113.21');
      const res = await open(link);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(res.body, page(UNBLOCK_PAGES.done));
      assert.equal((await right()).statusCode, 200);
      const [event] = await listEvents(store.db, { type: 'ublkdu', limit: 1 });
      assert.equal(event!.user_id, user.id);
      assert.equal(event!.ip, '198.51.100.77');
      assert.equal(event!.description, 'Unblocked by the link in the email');

      const again = await open(link);
      assert.equal(again.statusCode, 400);
      assert.match(again.body, page(UNBLOCK_PAGES.used));
      // The count started again: two more failures do not block.
      for (let i = 0; i < 2; i++) await login(node.app, wrong({ username: user.email, ip: '203.0.113.21' }));
      assert.equal((await right()).statusCode, 200);
    });

    it('refuses a forged, truncated or foreign ticket, and leaves the block', async () => {
      const { link, right } = await blocked('mia', '203.0.113.22');
      const ticket = link.slice(link.indexOf('=') + 1);
      const [body, sig] = ticket.split('.');
      const tampered = Buffer.from(
        Buffer.from(body!, 'base64url')
          .toString()
          .replace(/"e":\d+/, '"e":99999999999999'),
      ).toString('base64url');
      const foreign = await new UnblockTickets('another-secret-another-secret-0123456789').issue(
        'x',
        null,
        clock.now(),
      );
      for (const t of [
        `${tampered}.${sig}`,
        `${body}.${sig!.slice(0, -2)}`,
        body!,
        '',
        foreign,
        `${ticket}.x`,
      ]) {
        const res = await open(`/unblock?ticket=${encodeURIComponent(t)}`);
        assert.equal(res.statusCode, 400, t);
        assert.match(res.body, page(UNBLOCK_PAGES.invalid));
      }
      assert.equal((await open('/unblock')).statusCode, 400);
      assert.equal((await right()).statusCode, 429);
    });

    it('refuses an expired ticket', async () => {
      const { link, right } = await blocked('noah', '203.0.113.23');
      clock.advance(TICKET_TTL_MS + 1);
      const res = await open(link);
      assert.equal(res.statusCode, 400);
      assert.match(res.body, page(UNBLOCK_PAGES.expired));
      assert.equal((await right()).statusCode, 429);
    });

    it('sees an admin lift made elsewhere (the CLI) within seconds', async () => {
      const { user, right } = await blocked('olga', '203.0.113.24');
      const lifted = await lift(
        store.db,
        { identifiers: [user.email] },
        clock.now(),
        'Unblocked by an administrator',
      );
      assert.equal(lifted.length, 1);
      clock.advance(5_000);
      assert.equal((await right()).statusCode, 200);
      assert.equal((await listBlocks(store.db, { userId: user.id })).length, 0);
    });

    it('lifts every block of a user on a password change (the hook), from every IP', async () => {
      const peter = await newUser(node.rt, 'peter');
      for (const ip of ['203.0.113.25', '203.0.113.26']) {
        for (let i = 0; i < 3; i++) await login(node.app, wrong({ username: peter.email, ip }));
      }
      assert.equal((await listBlocks(store.db, { userId: peter.id })).length, 2);
      assert.equal(await liftUserBlocks(store.db, peter.id, clock.now()), 2);
      clock.advance(5_000);
      for (const ip of ['203.0.113.25', '203.0.113.26']) {
        const res = await login(node.app, { username: peter.email, password: peter.password, ip });
        assert.equal(res.statusCode, 200, ip);
      }
      const events = (await listEvents(store.db, { type: 'ublkdu' })).filter((e) => e.user_id === peter.id);
      assert.equal(events.length, 2);
      assert.equal(events[0]!.description, 'Unblocked by a password change');
    });

    it('survives a restart: the lifted block is not restored, a new one starts again', async () => {
      const { user, link, right } = await blocked('quinn', '203.0.113.27');
      await node.stop();
      node = await startNode(store, env, clock);
      assert.equal((await open(link)).statusCode, 200);
      assert.equal((await right()).statusCode, 200);
      for (let i = 0; i < 3; i++) await login(node.app, wrong({ username: user.email, ip: '203.0.113.27' }));
      assert.equal((await right()).statusCode, 429);
    });
  });
}
