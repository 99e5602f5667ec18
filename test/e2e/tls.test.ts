import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildServer } from '../../src/server.js';
import { ALICE, SECRET, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

/** A POST over HTTPS that trusts the test's self-signed certificate. */
function post(
  port: number,
  ca: Buffer,
  body: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/oauth/token',
        method: 'POST',
        ca,
        servername: 'localhost',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTPS (TESSERA_TLS_CERT / TESSERA_TLS_KEY)', () => {
  let dir: string;
  let t: TestApp;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    t = await startTestApp(sqlite);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the token endpoint over TLS, with HSTS', async () => {
    const cert = readFileSync(join(dir, 'cert.pem'));
    const app = await buildServer(t.rt, {
      logger: false,
      https: { cert, key: readFileSync(join(dir, 'key.pem')) },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      const form = new URLSearchParams({
        grant_type: 'password',
        username: ALICE.email,
        password: ALICE.password,
        client_id: 'acme-web',
        client_secret: SECRET,
      });
      const res = await post(port, cert, form.toString());
      assert.equal(res.status, 200, res.body);
      assert.ok(JSON.parse(res.body).access_token);
      assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    } finally {
      await app.close();
    }
  });
});
