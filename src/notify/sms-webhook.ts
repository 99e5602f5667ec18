import type { Message, Sender } from './types.js';
import { DEFAULTS } from '../config/defaults.js';

/** How long the SMS gateway may take to accept a message. */
export const WEBHOOK_TIMEOUT_MS = DEFAULTS.outbound.smsWebhookTimeoutMs;

/**
 * Sends text messages through a generic HTTP gateway: POST JSON
 * `{"to": "+15551234567", "body": "…"}` to `TESSERA_SMS_WEBHOOK_URL`, with
 * the shared secret in the `X-Tessera-Webhook-Secret` header, so Twilio-like
 * services plug in through a small adapter. Any non-2xx answer is an error.
 */
export class SmsWebhookSender implements Sender {
  readonly kind = 'webhook';
  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {}

  async send(m: Message): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tessera-webhook-secret': this.secret },
      body: JSON.stringify({ to: m.to, body: m.text }),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`SMS gateway answered ${res.status}`);
  }
}
