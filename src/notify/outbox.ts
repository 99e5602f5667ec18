import { randomUUID } from 'node:crypto';
import type { Store } from '../store/db.js';
import { insertOutbox } from '../store/repos/outbox.js';
import type { Message, Sender } from './types.js';

/**
 * The development sender: keeps messages in the database, where `tessera
 * outbox` prints them. Used for a channel that has no real sender
 * configured; never in production, since codes would rest in the database.
 */
export class OutboxSender implements Sender {
  readonly kind = 'outbox';
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  async send(m: Message): Promise<void> {
    await insertOutbox(this.store.db, {
      id: `msg_${randomUUID()}`,
      channel: m.channel,
      recipient: m.to,
      subject: m.subject ?? null,
      body: m.text,
      created_at: this.now(),
    });
  }
}
