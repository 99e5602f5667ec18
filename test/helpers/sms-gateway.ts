import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestSmsGateway {
  url: string;
  secret: string;
  messages: { to: string; body: string }[];
  /** The latest message to `to`, waiting up to 5 s for one newer than `after`. */
  next(to: string, after?: number): Promise<{ to: string; body: string }>;
  close(): Promise<void>;
}

/** A local HTTP server standing in for an SMS gateway behind TESSERA_SMS_WEBHOOK_URL. */
export async function startSmsGateway(): Promise<TestSmsGateway> {
  const messages: { to: string; body: string }[] = [];
  const secret = 'gateway-secret';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (req.headers['x-tessera-webhook-secret'] !== secret) return res.writeHead(401).end();
      messages.push(JSON.parse(body));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  return {
    url,
    secret,
    messages,
    async next(to, after = 0) {
      for (let i = 0; i < 100; i++) {
        const found = messages
          .slice(after)
          .filter((m) => m.to === to)
          .at(-1);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no SMS to ${to}`);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
