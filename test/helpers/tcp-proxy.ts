import { type Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy to `target` that can freeze: while frozen it accepts
 * connections and bytes but passes nothing on, either way — a server that
 * hangs (a stalled host, a network partition) as the client sees it.
 */
export interface TcpProxy {
  port: number;
  freeze(): void;
  /** Freezes once the server sends a chunk that `match`es (that chunk still reaches the client). */
  freezeAfterServer(match: (chunk: Buffer) => boolean): void;
  unfreeze(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let frozen = false;
  let trigger: ((chunk: Buffer) => boolean) | undefined;
  const pairs = new Set<{ flush(): void; destroy(): void }>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const held: [Socket, Buffer][] = [];
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (frozen) held.push([to, chunk]);
      else to.write(chunk);
    };
    client.on('data', forward(upstream));
    const toClient = forward(client);
    upstream.on('data', (chunk: Buffer) => {
      toClient(chunk);
      if (trigger?.(chunk)) {
        trigger = undefined;
        frozen = true;
      }
    });
    const pair = {
      flush() {
        for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
      },
      destroy() {
        held.length = 0;
        client.destroy();
        upstream.destroy();
      },
    };
    pairs.add(pair);
    // Either side gone: the other goes too, and what was held back is dropped.
    const end = () => {
      pairs.delete(pair);
      pair.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze() {
      frozen = true;
    },
    freezeAfterServer(match) {
      trigger = match;
    },
    unfreeze() {
      frozen = false;
      for (const p of pairs) p.flush();
    },
    close() {
      for (const p of pairs) p.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
