/** One message to a person: an email or a text message. */
export interface Message {
  channel: 'email' | 'sms';
  /** An email address or a phone number (E.164). */
  to: string;
  /** Email only. */
  subject?: string;
  text: string;
  /** When the code or link in it stops working (epoch ms): the outbox deletes it then. */
  expiresAt?: number;
  /** Email only: an HTML part sent beside the text (the outbox keeps the text). */
  html?: string;
  /** Email only: the sender, instead of TESSERA_SMTP_FROM (an email template's `from`). */
  from?: string;
}

/** Delivers messages of one channel. */
export interface Sender {
  /** A short name for logs: `smtp`, `webhook`, `outbox`. */
  readonly kind: string;
  send(message: Message): Promise<void>;
}

/** The senders of a runtime, one per channel. */
export interface Notifier {
  email: Sender;
  sms: Sender;
}
