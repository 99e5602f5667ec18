import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALICE, SECRET, startTestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

/** Splits raw HTTP/1.1 responses (Content-Length bodies) read from one connection. */
function parseResponses(raw: string) {
  const out: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = raw;
  while (rest.length) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    out.push({
      status: Number(statusLine!.split(' ')[1]),
      headers,
      body: rest.slice(end + 4, end + 4 + length),
    });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

describe('shutting down (SIGTERM)', () => {
  it('a request arriving while the server closes gets the OAuth 503 with Retry-After; the one in flight completes', async () => {
    const t = await startTestApp(storeKinds[0]!);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    const form = new URLSearchParams({
      grant_type: 'password',
      username: ALICE.email,
      password: ALICE.password,
      client_id: 'acme-web',
      client_secret: SECRET,
    }).toString();
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    socket.on('data', (d) => {
      raw += d.toString();
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    // A login in flight: its body is still arriving when the close begins.
    socket.write(
      `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form.slice(0, 10)}`,
    );
    await sleep(100);
    const closed = t.app.close();
    await sleep(100);
    // The rest of it, and a second request pipelined behind it on the same connection.
    socket.write(`${form.slice(10)}GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n\r\n`);
    await Promise.race([ended, sleep(5_000)]);
    socket.destroy();
    await closed;
    await t.rt.store.close();
    const [first, second] = parseResponses(raw);
    assert.equal(first?.status, 200, raw);
    assert.ok(JSON.parse(first!.body).access_token);
    assert.equal(second?.status, 503, raw);
    assert.deepEqual(JSON.parse(second!.body), {
      error: 'temporarily_unavailable',
      error_description: 'The server is shutting down. Try again later.',
    });
    assert.equal(second!.headers['retry-after'], '5');
    assert.equal(second!.headers.connection, 'close');
    assert.equal(second!.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(second!.headers['x-content-type-options'], 'nosniff');
  });
});
