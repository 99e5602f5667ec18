import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createNotifier, outboxWarnings } from '../../src/notify/index.js';
import { SmsWebhookSender } from '../../src/notify/sms-webhook.js';
import { SmtpSender } from '../../src/notify/smtp.js';
import type { Store } from '../../src/store/db.js';
import { purgeExpired } from '../../src/events/retention.js';
import { readOutbox } from '../../src/notify/outbox.js';
import { listOutbox } from '../../src/store/repos/outbox.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { storeKinds } from '../helpers/stores.js';

const SECRET = 'test-secret-test-secret-test-secret-0123';

describe('notify', () => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
  });
  after(() => smtp.close());

  it('warns, for serve, about each channel that goes to the outbox', () => {
    const both = outboxWarnings(loadConfig({}));
    assert.equal(both.length, 2);
    assert.match(both[0]!, /^TESSERA_SMTP_URL is not set: emails .* go to the outbox .* `tessera outbox`$/);
    assert.match(both[1]!, /^TESSERA_SMS_WEBHOOK_URL is not set: text messages/);
    const smtpOnly = outboxWarnings(loadConfig({ TESSERA_SMTP_URL: 'smtp://mail.acme.test' }));
    assert.deepEqual(
      smtpOnly.map((w) => w.split(':')[0]),
      ['TESSERA_SMS_WEBHOOK_URL is not set'],
    );
  });

  it('sends email over SMTP', async () => {
    const sender = new SmtpSender(smtp.url, 'Tessera <auth@acme.test>');
    const next = smtp.next('alice@acme.test');
    await sender.send({
      channel: 'email',
      to: 'alice@acme.test',
      subject: 'Your code',
      text: 'Your code is 123456 — thanks',
    });
    const mail = await next;
    assert.equal(mail.subject, 'Your code');
    assert.equal(mail.from, 'auth@acme.test');
    assert.match(mail.text, /Your code is 123456 — thanks/);
    sender.close();
  });

  it('posts text messages to the webhook with the shared secret, and fails on a non-2xx', async () => {
    const got: { headers: Record<string, unknown>; body: string }[] = [];
    let status = 204;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
    try {
      const sender = new SmsWebhookSender(url, 'hook-secret');
      await sender.send({ channel: 'sms', to: '+15551234567', text: 'Code 654321' });
      assert.deepEqual(JSON.parse(got[0]!.body), { to: '+15551234567', body: 'Code 654321' });
      assert.equal(got[0]!.headers['x-tessera-webhook-secret'], 'hook-secret');
      status = 500;
      await assert.rejects(sender.send({ channel: 'sms', to: '+1', text: 'x' }), /SMS gateway answered 500/);
    } finally {
      server.close();
    }
  });

  it('requires the webhook secret with the webhook URL', () => {
    assert.throws(
      () => loadConfig({ TESSERA_SMS_WEBHOOK_URL: 'http://x' }),
      /TESSERA_SMS_WEBHOOK_SECRET must be set/,
    );
  });
});

for (const kind of storeKinds) {
  describe(`outbox (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
    });
    after(() => store.close());

    it('keeps messages when no sender is configured', async () => {
      const n = createNotifier(loadConfig({ TESSERA_SECRET: SECRET }), store, () => 1000);
      assert.equal(n.email.kind, 'outbox');
      assert.equal(n.sms.kind, 'outbox');
      await n.email.send({ channel: 'email', to: 'a@acme.test', subject: 'S', text: 'T' });
      await n.sms.send({ channel: 'sms', to: '+1555', text: 'code 1' });
      const rows = await readOutbox(store, SECRET);
      assert.deepEqual(rows.map((r) => [r.channel, r.recipient, r.subject, r.body]).sort(), [
        ['email', 'a@acme.test', 'S', 'T'],
        ['sms', '+1555', null, 'code 1'],
      ]);
      assert.equal((await readOutbox(store, SECRET, { recipient: '+1555' })).length, 1);
    });

    it('keeps bodies encrypted with the server secret, readable only with it', async () => {
      const n = createNotifier(loadConfig({ TESSERA_SECRET: SECRET }), store, () => 2000);
      await n.sms.send({ channel: 'sms', to: '+1666', text: 'Your code is 424242', expiresAt: 302_000 });
      const [raw] = await listOutbox(store.db, { recipient: '+1666' });
      assert.ok(raw);
      assert.doesNotMatch(raw.body, /424242/);
      assert.equal(raw.expires_at, 302_000);
      const [read] = await readOutbox(store, SECRET, { recipient: '+1666' });
      assert.equal(read!.body, 'Your code is 424242');
      await assert.rejects(
        readOutbox(store, 'another-secret-another-secret-0123456789', { recipient: '+1666' }),
        /outbox message \S+ cannot be decrypted: it was sealed under another TESSERA_SECRET/,
      );
    });

    it('the next message sent takes the expired ones with it', async () => {
      const n = createNotifier(loadConfig({ TESSERA_SECRET: SECRET }), store, () => 10_000);
      await n.sms.send({ channel: 'sms', to: '+1777', text: 'Your code is 111111', expiresAt: 20_000 });
      const later = createNotifier(loadConfig({ TESSERA_SECRET: SECRET }), store, () => 20_001);
      await later.sms.send({ channel: 'sms', to: '+1888', text: 'hello' });
      assert.equal((await listOutbox(store.db, { recipient: '+1777' })).length, 0);
      assert.equal((await listOutbox(store.db, { recipient: '+1666' })).length, 1, 'not expired yet');
    });

    it('purges a message once the code in it has expired', async () => {
      const counts = await purgeExpired(store, 302_001, { logRetentionDays: 30 });
      assert.equal(counts['outbox messages with an expired code'], 1);
      assert.equal((await listOutbox(store.db, { recipient: '+1666' })).length, 0);
      assert.equal((await listOutbox(store.db, { recipient: '+1555' })).length, 1);
    });

    it('uses SMTP and the webhook when configured', () => {
      const n = createNotifier(
        loadConfig({
          TESSERA_SMTP_URL: 'smtp://127.0.0.1:2525',
          TESSERA_SMS_WEBHOOK_URL: 'http://127.0.0.1:1/x',
          TESSERA_SMS_WEBHOOK_SECRET: 's',
        }),
        store,
        () => 0,
      );
      assert.equal(n.email.kind, 'smtp');
      assert.equal(n.sms.kind, 'webhook');
    });
  });
}

describe('messages carrying a code or link say when it expires', () => {
  it('the blocked-account mail expires with its unblock link; without a link it does not', async () => {
    const { userBlockedMail } = await import('../../src/protection/messages.js');
    const base = { tenant: 'Acme', identifier: 'a@acme.test', ip: '198.51.100.1', attempts: 10, perIp: true };
    const withLink = userBlockedMail('a@acme.test', {
      ...base,
      link: 'https://tessera.test/unblock?ticket=x',
      linkExpiresAt: 86_400_000,
    });
    assert.equal(withLink.expiresAt, 86_400_000);
    assert.equal(userBlockedMail('a@acme.test', base).expiresAt, undefined);
  });
});
