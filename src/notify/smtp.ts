import nodemailer, { type Transporter } from 'nodemailer';
import type { Message, Sender } from './types.js';

/** Sends email through an SMTP server (`TESSERA_SMTP_URL`, e.g. smtp://user:pass@mail:587). */
export class SmtpSender implements Sender {
  readonly kind = 'smtp';
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(m: Message): Promise<void> {
    await this.transport.sendMail({
      from: m.from ?? this.from,
      to: m.to,
      subject: m.subject ?? '',
      text: m.text,
      ...(m.html ? { html: m.html } : {}),
    });
  }

  close(): void {
    this.transport.close();
  }
}
