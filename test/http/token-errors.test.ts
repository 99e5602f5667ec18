import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { upsertUser } from '../../src/store/repos/users.js';
import { putSetting } from '../../src/store/repos/settings.js';
import {
  API,
  SECRET,
  addUser,
  startTestApp,
  type TestApp,
  tokenRequest,
  ALICE_LOGIN,
} from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const alice = ALICE_LOGIN;
const REALM = 'http://auth0.com/oauth/grant-type/password-realm';

function raw(t: TestApp, payload: string | Buffer, contentType = 'application/x-www-form-urlencoded') {
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': contentType },
    payload,
  });
}

for (const kind of storeKinds) {
  describe(`password grant: errors (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    it('answers a wrong password and an unknown user identically', async () => {
      const wrong = await tokenRequest(t.app, { ...alice, password: 'nope' });
      const unknown = await tokenRequest(t.app, { ...alice, username: 'mallory@acme.test' });
      for (const res of [wrong, unknown]) {
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), {
          error: 'invalid_grant',
          error_description: 'Wrong email or password.',
        });
        assert.equal(res.headers['cache-control'], 'no-store');
      }
      // The IP's rate-limit budget shrinks with each failure alike: it says nothing about the user.
      const strip = (h: Record<string, unknown>) => {
        const { date: _d, 'x-ratelimit-remaining': _r, 'x-ratelimit-reset': _t, ...rest } = h;
        return rest;
      };
      assert.deepEqual(strip(wrong.headers), strip(unknown.headers));
    });

    it('answers a user without a password like a wrong password', async () => {
      await upsertUser(
        t.rt.store.db,
        { user_id: 'auth0|nopw', connection_id: 'con_default', email: 'nopw@acme.test' },
        t.rt.now(),
      );
      const res = await tokenRequest(t.app, { ...alice, username: 'nopw@acme.test' });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), { error: 'invalid_grant', error_description: 'Wrong email or password.' });
    });

    it('refuses a blocked user only after the right password', async () => {
      await addUser(t.rt, {
        user_id: 'auth0|blocked',
        connection_id: 'con_default',
        email: 'b@acme.test',
        blocked: true,
        password: 'pw-of-blocked',
      });
      const right = await tokenRequest(t.app, {
        ...alice,
        username: 'b@acme.test',
        password: 'pw-of-blocked',
      });
      assert.equal(right.statusCode, 401);
      assert.deepEqual(right.json(), { error: 'unauthorized', error_description: 'user is blocked' });
      const wrong = await tokenRequest(t.app, { ...alice, username: 'b@acme.test', password: 'guess' });
      assert.equal(wrong.statusCode, 403);
      assert.equal(wrong.json().error, 'invalid_grant');
    });

    for (const name of ['username', 'password', 'grant_type']) {
      it(`names a missing ${name}`, async () => {
        const { [name as keyof typeof alice]: _drop, ...rest } = alice;
        const res = await tokenRequest(t.app, rest);
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), {
          error: 'invalid_request',
          error_description: `Missing required parameter: ${name}`,
        });
      });
    }

    it('names a missing client_id', async () => {
      const { client_id: _c, client_secret: _s, ...rest } = alice;
      const res = await tokenRequest(t.app, rest);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Missing required parameter: client_id',
      });
    });

    it('rejects a parameter sent twice', async () => {
      const res = await raw(t, `${new URLSearchParams(alice)}&username=other%40acme.test`);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Parameter username must not be sent more than once',
      });
    });

    it('rejects arrays, numbers and objects where strings belong (JSON)', async () => {
      for (const [value, expected] of [
        [['a', 'b'], 'Parameter password must not be sent more than once'],
        [42, 'Invalid parameter password: must be a string'],
        [{ $gt: '' }, 'Invalid parameter password: must be a string'],
      ] as const) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          payload: { ...alice, password: value },
        });
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), { error: 'invalid_request', error_description: expected });
      }
    });

    it('rejects a JSON body that is not an object', async () => {
      for (const payload of ['[1,2]', '"password"', 'null', '12']) {
        const res = await raw(t, payload, 'application/json');
        assert.equal(res.statusCode, 400, payload);
        assert.equal(res.json().error, 'invalid_request');
      }
    });

    it('rejects malformed JSON and a __proto__ key with 400', async () => {
      const bad = await raw(t, '{"grant_type": "password",', 'application/json');
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(bad.json(), {
        error: 'invalid_request',
        error_description: 'The request body is not valid JSON',
      });
      const proto = await raw(t, '{"__proto__": {"x": 1}, "grant_type": "password"}', 'application/json');
      assert.equal(proto.statusCode, 400);
      assert.equal(proto.json().error, 'invalid_request');
    });

    it('answers an unsupported content type with 415 invalid_request', async () => {
      const res = await raw(t, 'grant_type=password', 'text/plain');
      assert.equal(res.statusCode, 415);
      assert.equal(res.json().error, 'invalid_request');
      assert.match(res.json().error_description, /application\/x-www-form-urlencoded or application\/json/);
    });

    it('answers a huge body with 413 invalid_request', async () => {
      const res = await raw(t, `grant_type=password&username=${'a'.repeat(200_000)}`);
      assert.equal(res.statusCode, 413);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'The request body is too large',
      });
    });

    it('survives invalid UTF-8 and bad percent-encoding without a 500', async () => {
      const form = Buffer.concat([
        Buffer.from('grant_type=password&client_id=acme-web&client_secret=' + SECRET + '&username='),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('&password=%E0%A4%A'),
      ]);
      const res = await raw(t, form);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Invalid parameter username: must be UTF-8 text without NUL characters',
      });
      const json = await raw(
        t,
        Buffer.concat([
          Buffer.from('{"grant_type":"password","username":"'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}'),
        ]),
        'application/json',
      );
      assert.ok(json.statusCode < 500, `got ${json.statusCode}`);
      assert.equal(json.json().error, 'invalid_request');
    });

    it('answers an empty body with a missing grant_type', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/oauth/token' });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Missing required parameter: grant_type',
      });
    });

    it('answers an unknown grant type with 501', async () => {
      const res = await tokenRequest(t.app, { ...alice, grant_type: 'pasword' });
      assert.equal(res.statusCode, 501);
      assert.deepEqual(res.json(), {
        error: 'unsupported_grant_type',
        error_description: 'Unsupported grant type: pasword',
      });
    });

    it('answers bad client authentication with 401 access_denied Unauthorized', async () => {
      const cases = [
        { ...alice, client_secret: 'wrong-secret' },
        { ...alice, client_id: 'nobody' },
        { ...alice, client_secret: undefined },
        { ...alice, client_id: 'acme-spa' }, // a public client sending a secret
      ];
      for (const form of cases) {
        const clean = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >;
        const res = await tokenRequest(t.app, clean);
        assert.equal(res.statusCode, 401);
        assert.deepEqual(res.json(), { error: 'access_denied', error_description: 'Unauthorized' });
      }
      const basic = Buffer.from('acme-basic:wrong').toString('base64');
      const { client_id: _c, client_secret: _s, ...rest } = alice;
      const res = await tokenRequest(t.app, rest, { authorization: `Basic ${basic}` });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: 'access_denied', error_description: 'Unauthorized' });
    });

    it('refuses two client authentication methods at once', async () => {
      const basic = Buffer.from(`acme-web:${SECRET}`).toString('base64');
      const res = await tokenRequest(t.app, alice, { authorization: `Basic ${basic}` });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error, 'invalid_request');
    });

    it('answers a grant the client may not use with the exact Auth0 text', async () => {
      const res = await tokenRequest(t.app, { ...alice, client_id: 'acme-nopw' });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'unauthorized_client',
        error_description: "Grant type 'password' not allowed for the client.",
      });
      const realm = await tokenRequest(
        t.app,
        { ...alice, client_id: 'acme-basic', grant_type: REALM, realm: 'employees' },
        {},
      );
      // acme-basic uses Basic auth but also accepts the secret in the body.
      assert.equal(realm.statusCode, 403);
      assert.deepEqual(realm.json(), {
        error: 'unauthorized_client',
        error_description: `Grant type '${REALM}' not allowed for the client.`,
      });
    });

    it('answers an unknown audience with access_denied Service not found', async () => {
      const res = await tokenRequest(t.app, { ...alice, audience: 'https://nope.test' });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'access_denied',
        error_description: 'Service not found: https://nope.test',
      });
    });

    it('gives one answer for an unknown realm and one not enabled for the client', async () => {
      const unknown = await tokenRequest(t.app, {
        ...alice,
        client_id: 'acme-spa',
        client_secret: '',
        realm: 'nowhere',
      });
      const disabled = await tokenRequest(t.app, {
        ...alice,
        client_id: 'acme-spa',
        client_secret: '',
        realm: 'employees',
      });
      for (const res of [unknown, disabled]) {
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), {
          error: 'invalid_request',
          error_description: 'Unknown realm or realm not enabled for this client',
        });
      }
    });

    it('requires realm on the realm grant', async () => {
      const res = await tokenRequest(t.app, { ...alice, grant_type: REALM });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Missing required parameter: realm',
      });
    });

    it('answers 500 with Auth0 text when no default directory is configured', async () => {
      await putSetting(t.rt.store.db, 'tenant', { default_audience: API });
      try {
        const res = await tokenRequest(t.app, alice);
        assert.equal(res.statusCode, 500);
        assert.deepEqual(res.json(), {
          error: 'server_error',
          error_description: 'Authorization server not configured with default connection.',
        });
      } finally {
        await putSetting(t.rt.store.db, 'tenant', {
          default_directory: 'Username-Password-Authentication',
          default_audience: API,
        });
      }
    });

    it('answers unknown routes with a JSON 404', async () => {
      const res = await t.app.inject({ url: '/nope' });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { error: 'not_found', error_description: 'Not found' });
    });
  });
}
