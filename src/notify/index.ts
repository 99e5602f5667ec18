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
  const outbox = new OutboxSender(store, now, config.secret);
  return {
    email: config.smtpUrl ? new SmtpSender(config.smtpUrl, config.smtpFrom) : outbox,
    sms: config.smsWebhookUrl ? new SmsWebhookSender(config.smsWebhookUrl, config.smsWebhookSecret) : outbox,
  };
}

/**
 * What `serve` says at boot about channels without a real sender: their
 * messages (MFA codes, unblock links, notifications) reach nobody until
 * someone reads them with `tessera outbox`.
 */
export function outboxWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.smtpUrl) {
    warnings.push(
      'TESSERA_SMTP_URL is not set: emails (MFA codes, unblock links, notifications) go to the outbox in the database, encrypted with TESSERA_SECRET, and reach nobody; read them with `tessera outbox`',
    );
  }
  if (!config.smsWebhookUrl) {
    warnings.push(
      'TESSERA_SMS_WEBHOOK_URL is not set: text messages (MFA codes) go to the outbox in the database, encrypted with TESSERA_SECRET, and reach nobody; read them with `tessera outbox`',
    );
  }
  return warnings;
}
