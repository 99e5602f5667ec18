import type { Config } from '../config/config.js';
import type { Store } from '../store/db.js';
import { OutboxSender } from './outbox.js';
import { SmsWebhookSender } from './sms-webhook.js';
import { SmtpSender } from './smtp.js';
import type { Notifier } from './types.js';

/**
 * The senders the configuration asks for: SMTP for email when
 * TESSERA_SMTP_URL is set, the HTTP webhook for SMS when
 * TESSERA_SMS_WEBHOOK_URL is set, and the database outbox otherwise.
 */
export function createNotifier(config: Config, store: Store, now: () => number): Notifier {
  const outbox = new OutboxSender(store, now);
  return {
    email: config.smtpUrl ? new SmtpSender(config.smtpUrl, config.smtpFrom) : outbox,
    sms: config.smsWebhookUrl ? new SmsWebhookSender(config.smsWebhookUrl, config.smsWebhookSecret) : outbox,
  };
}
