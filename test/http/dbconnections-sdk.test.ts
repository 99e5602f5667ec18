import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuthenticationClient } from 'auth0';
import type { FastifyInstance } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import { backgroundOf } from '../../src/notify/background.js';
import { buildServer } from '../../src/server.js';
import { findUserById } from '../../src/store/repos/users.js';
import { ALICE, startTestApp, type TestApp } from '../helpers/app.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { storeKinds } from '../helpers/stores.js';

/**
 * The `auth0` SDK's AuthenticationClient.database, unchanged, against
 * Tessera served over real HTTPS (a self-signed certificate the test trusts).
 */
for (const kind of storeKinds) {
  describe(`auth0 SDK: database.signUp and database.changePassword over HTTPS (${kind.name})`, () => {
    let dir: string;
    let t: TestApp;
    let https: FastifyInstance;
    let smtp: TestSmtp;
    let auth0: AuthenticationClient;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tessera-sdk-'));
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
          ...['-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem')],
          ...['-out', join(dir, 'cert.pem')],
        ],
        { stdio: 'ignore' },
      );
      smtp = await startSmtp();
      t = await startTestApp(kind, { env: { TESSERA_SMTP_URL: smtp.url } });
      const cert = readFileSync(join(dir, 'cert.pem'));
      https = await buildServer(t.rt, {
        logger: false,
        https: { key: readFileSync(join(dir, 'key.pem')), cert },
      });
      await https.listen({ port: 0, host: '127.0.0.1' });
      const { port } = https.server.address() as AddressInfo;
      const dispatcher = new Agent({ connect: { ca: cert } });
      auth0 = new AuthenticationClient({
        domain: `localhost:${port}`,
        clientId: 'acme-spa',
        // The SDK's own fetch, handed a dispatcher that trusts the test certificate.
        fetch: ((url: string, init: object) => undiciFetch(url, { ...init, dispatcher })) as never,
      });
    });
    after(async () => {
      await backgroundOf(t.rt, t.rt.log).idle();
      await https.close();
      await t.close();
      await smtp.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('signUp creates the user and the verification email arrives', async () => {
      const mail = smtp.next('sdk@example.com');
      const res = await auth0.database.signUp({
        email: 'sdk@example.com',
        password: 'Sdk-Pass-2026',
        connection: 'Username-Password-Authentication',
        given_name: 'Sam',
      });
      assert.equal(res.status, 200);
      assert.equal(res.data.email, 'sdk@example.com');
      assert.equal(res.data.email_verified, false);
      assert.equal(res.data.given_name, 'Sam');
      assert.match(res.data.id, /^[0-9a-f]{24}$/);
      const m = await mail;
      assert.equal(m.subject, 'Verify your email address for Acme');
      assert.match(m.text, /https:\/\/tessera\.test\/lo\/verify_email\?ticket=[A-Za-z0-9_-]{43}/);
      assert.equal((await findUserById(t.rt.store.db, `auth0|${res.data.id}`))?.email_verified, false);
    });

    it('signUp of a taken address fails with invalid_signup, as the SDK reads it', async () => {
      await assert.rejects(
        auth0.database.signUp({
          email: ALICE.email,
          password: 'Sdk-Pass-2026',
          connection: 'Username-Password-Authentication',
        }),
        (err: { error: string; error_description: string; statusCode: number; body: string }) => {
          assert.equal(err.statusCode, 400);
          assert.equal(err.error, 'invalid_signup');
          assert.equal(err.error_description, 'Invalid sign up');
          assert.deepEqual(JSON.parse(err.body), {
            name: 'BadRequestError',
            code: 'invalid_signup',
            description: 'Invalid sign up',
            statusCode: 400,
          });
          return true;
        },
      );
    });

    it('signUp of a weak password fails with invalid_password and the rules', async () => {
      await assert.rejects(
        auth0.database.signUp({
          email: 'w@example.com',
          password: 'weak',
          connection: 'Username-Password-Authentication',
        }),
        (err: { error: string; body: string }) => {
          assert.equal(err.error, 'invalid_password');
          assert.equal(JSON.parse(err.body).name, 'PasswordStrengthError');
          return true;
        },
      );
    });

    it('changePassword answers Auth0’s text and the reset email arrives', async () => {
      const mail = smtp.next(ALICE.email);
      const res = await auth0.database.changePassword({
        email: ALICE.email,
        connection: 'Username-Password-Authentication',
      });
      assert.equal(res.status, 200);
      assert.equal(res.data, "We've just sent you an email to reset your password.");
      const m = await mail;
      assert.match(m.text, /https:\/\/tessera\.test\/lo\/reset\?ticket=[A-Za-z0-9_-]{43}/);
      const unknown = await auth0.database.changePassword({
        email: 'nobody@example.com',
        connection: 'Username-Password-Authentication',
      });
      assert.equal(unknown.data, res.data);
    });
  });
}
