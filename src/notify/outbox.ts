import { randomUUID } from 'node:crypto';
import { SecretBox } from '../store/secret-box.js';
import type { Store } from '../store/db.js';
import { deleteExpiredOutbox, insertOutbox, listOutbox, type OutboxRow } from '../store/repos/outbox.js';
import type { Message, Sender } from './types.js';

/** Outbox bodies are sealed under their own key derived from TESSERA_SECRET. */
const PURPOSE = 'tessera outbox';

/**
 * The development sender: keeps messages in the database, where `tessera
 * outbox` prints them. Used for a channel that has no real sender
 * configured. Bodies (codes, unblock links) are sealed with the server
 * secret, and a message goes when the code in it expires.
 */
export class OutboxSender implements Sender {
  readonly kind = 'outbox';
  private readonly box: SecretBox;
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    secret: string,
  ) {
    this.box = new SecretBox(secret, PURPOSE);
  }

  async send(m: Message): Promise<void> {
    const now = this.now();
    // Codes that no longer work go at once, not only at the next purge.
    await deleteExpiredOutbox(this.store.db, now);
    await insertOutbox(this.store.db, {
      id: `msg_${randomUUID()}`,
      channel: m.channel,
      recipient: m.to,
      subject: m.subject ?? null,
      body: this.box.seal(m.text),
      created_at: now,
      expires_at: m.expiresAt ?? null,
      sealed: 1,
    });
  }
}

/** The latest outbox messages, newest first, with their bodies opened with `secret`. */
export async function readOutbox(
  store: Store,
  secret: string,
  opts: { limit?: number; recipient?: string } = {},
): Promise<OutboxRow[]> {
  const box = new SecretBox(secret, PURPOSE);
  return (await listOutbox(store.db, opts)).map((row) => {
    if (!row.sealed) return row;
    try {
      return { ...row, body: box.open(row.body) };
    } catch {
      throw new Error(
        `outbox message ${row.id} cannot be decrypted: it was sealed under another TESSERA_SECRET (set the one the server runs with)`,
      );
    }
  });
}
