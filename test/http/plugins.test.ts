import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

/**
 * The routes are plugins (server.ts): what the root installs — the input
 * check, the security headers, the content-type parsers — must reach every
 * one of them.
 */
const ROUTES: [method: 'GET' | 'POST' | 'DELETE', url: string][] = [
  ['POST', '/oauth/token'],
  ['POST', '/oauth/revoke'],
  ['POST', '/oauth/introspect'],
  ['GET', '/userinfo'],
  ['POST', '/userinfo'],
  ['GET', '/mfa/authenticators'],
  ['DELETE', '/mfa/authenticators/abc'],
  ['POST', '/mfa/associate'],
  ['POST', '/mfa/challenge'],
  ['GET', '/.well-known/openid-configuration'],
  ['GET', '/.well-known/jwks.json'],
  ['GET', '/unblock'],
  ['POST', '/dbconnections/signup'],
  ['POST', '/dbconnections/change_password'],
  ['GET', '/lo/reset'],
  ['POST', '/lo/reset'],
  ['GET', '/lo/verify_email'],
];

for (const kind of storeKinds.slice(0, 1)) {
  describe(`routes as plugins keep the root's hooks and parsers (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    for (const [method, url] of ROUTES) {
      it(`refuses NUL in a query on ${method} ${url}, with the security headers`, async () => {
        const res = await t.app.inject({ method, url: `${url}?x=a%00b` });
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
      });
    }

    for (const url of ['/oauth/token', '/oauth/revoke', '/mfa/challenge', '/dbconnections/signup']) {
      it(`answers text/plain on ${url} with 415`, async () => {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'text/plain' },
          payload: 'grant_type=password',
        });
        assert.equal(res.statusCode, 415, res.body);
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
      });
    }
  });
}
