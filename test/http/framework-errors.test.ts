import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OAuthError } from '../../src/oauth/wire.js';
import { buildServer } from '../../src/server.js';
import { SECRET, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { memoryLogger } from '../helpers/memory-log.js';

/** The headers every answer carries (http/security-headers). */
function assertSecurityHeaders(res: { headers: Record<string, unknown> }) {
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['x-frame-options'], 'DENY');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.match(String(res.headers['content-type']), /^application\/json/);
}

describe('errors Fastify raises itself go through the one error handler', () => {
  let t: TestApp;
  const log = memoryLogger();
  let app: TestApp['app'];
  before(async () => {
    t = await startTestApp(storeKinds[0]!);
    app = await buildServer(t.rt, { loggerInstance: log.logger });
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  for (const [label, method, url, status, description] of [
    ['a bad URL', 'GET', '/oauth/%zz<script>', 400, 'The request URL is not valid'],
    [
      'a path parameter too long',
      'DELETE',
      `/mfa/authenticators/${'a'.repeat(150)}<b>`,
      414,
      'A path parameter is too long',
    ],
    ['an unknown route', 'GET', '/nothing/<script>alert(1)</script>', 404, 'Not found'],
  ] as const) {
    it(`answers ${label} with ${status}, the security headers and no URL echo`, async () => {
      const res = await app.inject({ method, url });
      assert.equal(res.statusCode, status);
      assertSecurityHeaders(res);
      assert.deepEqual(res.json(), {
        error: status === 404 ? 'not_found' : 'invalid_request',
        error_description: description,
      });
      assert.doesNotMatch(res.body, /<script|aaaa|%zz/);
    });
  }

  for (const [label, payload, contentType, status] of [
    ['bad JSON', '{"grant_type":', 'application/json', 400],
    ['an unsupported media type', 'grant_type=password', 'application/xml', 415],
    ['a body too large', `a=${'x'.repeat(70_000)}`, 'application/x-www-form-urlencoded', 413],
  ] as const) {
    it(`answers ${label} with ${status} invalid_request and the security headers`, async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': contentType },
        payload,
      });
      assert.equal(res.statusCode, status);
      assertSecurityHeaders(res);
      assert.equal(res.json().error, 'invalid_request');
    });
  }

  it('logs client mistakes at info without a stack, and nothing at error', async () => {
    log.clear();
    await app.inject({ method: 'GET', url: '/%zz' });
    await app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'pasword', client_id: 'acme-web', client_secret: SECRET },
    });
    await app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'password' } });
    await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    const lines = log.records();
    const refusals = lines.filter((l) => l.msg === 'request refused');
    assert.equal(refusals.length, 4, JSON.stringify(lines));
    for (const l of refusals) {
      assert.equal(l.level, 30);
      assert.equal(l.err, undefined);
      assert.doesNotMatch(JSON.stringify(l), /"stack"/);
    }
    assert.deepEqual(
      refusals.map((l) => [l.status, l.error]),
      [
        [400, 'invalid_request'],
        [501, 'unsupported_grant_type'],
        [400, 'invalid_request'],
        [400, 'invalid_request'],
      ],
    );
    assert.equal(lines.filter((l) => Number(l.level) >= 50).length, 0);
  });

  it('gives every 429 and 503 a Retry-After, also when the error names no time', async () => {
    const bare = await buildServer(t.rt, { logger: false });
    bare.get('/test/busy/:status', async (request) => {
      const status = Number((request.params as { status: string }).status);
      throw new OAuthError(status, status === 429 ? 'too_many_requests' : 'temporarily_unavailable', 'Busy');
    });
    for (const status of [429, 503]) {
      const res = await bare.inject({ method: 'GET', url: `/test/busy/${status}` });
      assert.equal(res.statusCode, status);
      assert.equal(res.headers['retry-after'], '5');
    }
    await bare.close();
  });
});
