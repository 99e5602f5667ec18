import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** The HTML part of a multipart/alternative mail, if any. */
  html?: string;
  raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives, for tests. */
export interface TestSmtp {
  url: string;
  mails: ReceivedMail[];
  /** Resolves with the next mail to `to` (or any), waiting up to 5 s. */
  next(to?: string): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const waiters: { to?: string; resolve: (m: ReceivedMail) => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => {
        raw += d.toString('utf8');
      });
      stream.on('end', () => {
        const mail = parse(
          raw,
          session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          session.envelope.rcptTo.map((r) => r.address),
        );
        mails.push(mail);
        for (const w of [...waiters]) {
          if (!w.to || mail.to.includes(w.to)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    next(to) {
      const seen = mails.length;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no mail${to ? ` to ${to}` : ''} within 5 s (had ${seen})`)),
          5000,
        );
        waiters.push({
          to,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Enough of RFC 5322, MIME multipart/alternative and quoted-printable for the mails Tessera sends. */
function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const { head, body } = entity(raw);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1] ?? '';
  const boundary = /boundary="?([^";]+)"?/i.exec(header('Content-Type'))?.[1];
  let text = '';
  let html: string | undefined;
  if (boundary && /^multipart\//i.test(header('Content-Type'))) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const e = entity(part.replace(/^\r\n/, ''));
      const type = /^Content-Type:\s*([^;\r\n]*)/im.exec(e.head)?.[1]?.toLowerCase();
      const decoded = decode(e.body, /^Content-Transfer-Encoding:\s*(.*)$/im.exec(e.head)?.[1] ?? '');
      if (type === 'text/plain') text = decoded;
      if (type === 'text/html') html = decoded.trimEnd();
    }
  } else {
    text = decode(body, header('Content-Transfer-Encoding'));
  }
  return { from, to, subject: header('Subject'), text: text.replace(/\r\n/g, '\n').trimEnd(), html, raw };
}

function entity(raw: string): { head: string; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  return { head: raw.slice(0, split).replace(/\r\n[ \t]+/g, ' '), body: raw.slice(split + 4) };
}

function decode(body: string, encoding: string): string {
  if (/quoted-printable/i.test(encoding)) {
    return Buffer.from(
      body
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  }
  if (/base64/i.test(encoding)) return Buffer.from(body, 'base64').toString('utf8');
  return body;
}
