import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backgroundOf } from '../../src/notify/background.js';
import { FIELD_LIMITS } from '../../src/http/dbconnections.js';
import { ALICE, startTestApp, type TestApp } from '../helpers/app.js';
import { changePassword, signup } from '../helpers/dbconnections.js';
import { storeKinds } from '../helpers/stores.js';

const ANSWER = "We've just sent you an email to reset your password.";
const good = {
  client_id: 'acme-web',
  connection: 'Username-Password-Authentication',
  email: 'new@example.com',
  password: 'Good-Enough-42',
};
const bad = (description: string, statusCode = 400) => ({
  name: 'BadRequestError',
  code: 'invalid_body',
  description,
  statusCode,
});

for (const kind of storeKinds) {
  describe(`/dbconnections: bad input gets a clear 4xx, never a 500, never an account's existence (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(async () => {
      await backgroundOf(t.rt, t.rt.log).idle();
      await t.close();
    });

    it('names each missing field', async () => {
      for (const field of ['client_id', 'connection', 'email', 'password'] as const) {
        const { [field]: _gone, ...rest } = good;
        const res = await signup(t, rest);
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), bad(`Missing ${field}`));
      }
      const res = await changePassword(t, undefined);
      assert.deepEqual(res.json(), bad('Missing email'));
    });

    it('refuses every field over its limit', async () => {
      for (const [field, max] of Object.entries(FIELD_LIMITS)) {
        const value =
          field === 'email'
            ? `${'a'.repeat(max)}@x.io`
            : field === 'picture'
              ? `https://x.io/${'a'.repeat(max)}`
              : 'a'.repeat(max + 1);
        const res = await signup(t, { ...good, [field]: value });
        assert.equal(res.statusCode, 400, field);
        assert.deepEqual(res.json(), bad(`${field} is too long (at most ${max} characters)`), field);
      }
      const meta = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
      for (const user_metadata of [meta, { k: 'v'.repeat(501) }, { k: 1 }, ['x'], 'x']) {
        const res = await signup(t, { ...good, user_metadata });
        assert.equal(res.statusCode, 400);
        assert.equal(res.json().code, 'invalid_body');
        assert.match(
          res.json().description,
          /^user_metadata must be an object of at most 10 string properties/,
        );
      }
    });

    it('refuses wrong types, NUL bytes, bad formats and bodies that are not objects', async () => {
      const cases: [unknown, string][] = [
        [{ ...good, email: 42 }, 'email must be a string'],
        [{ ...good, password: ['a', 'b'] }, 'password must be sent once'],
        [{ ...good, name: { first: 'x' } }, 'name must be a string'],
        // Refused at the edge, before any handler (http/params.ts), in this endpoint's shape.
        [
          { ...good, email: 'nul\u0000@example.com' },
          'Invalid parameter email: must be UTF-8 text without NUL characters',
        ],
        [
          { ...good, password: 'Good-Enough-42\u0000' },
          'Invalid parameter password: must be UTF-8 text without NUL characters',
        ],
        [{ ...good, email: 'not-an-email' }, 'email is not a valid email address'],
        [{ ...good, picture: 'javascript:alert(1)' }, 'picture must be an http(s) URL'],
        [
          { ...good, phone_number: 'call me' },
          'phone_number must be a phone number (digits, spaces, + ( ) - .)',
        ],
        [[good], 'The request body must be a JSON object or a form'],
        ['"just a string"', 'The request body must be a JSON object or a form'],
        ['{"email": ', 'The request body is not valid JSON'],
      ];
      for (const [body, description] of cases) {
        const res = await signup(t, body);
        assert.equal(res.statusCode, 400, description);
        assert.deepEqual(res.json(), bad(description));
      }
      const form = await t.app.inject({
        method: 'POST',
        url: '/dbconnections/signup',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'client_id=acme-web&connection=x&email=a%40b.c&email=c%40d.e&password=x',
      });
      assert.deepEqual(form.json(), bad('email must be sent once'));
      const huge = await signup(t, { ...good, name: 'x'.repeat(70 * 1024) });
      assert.equal(huge.statusCode, 413);
      assert.equal(huge.json().name, 'PayloadTooLargeError');
      const text = await t.app.inject({
        method: 'POST',
        url: '/dbconnections/signup',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
      });
      assert.equal(text.statusCode, 415);
    });

    it('change_password: unknown connection or client is a 400; unknown and known addresses read alike', async () => {
      const conn = await changePassword(t, ALICE.email, { connection: 'nope' });
      assert.equal(conn.statusCode, 400);
      assert.equal(conn.json().code, 'invalid_connection');
      const client = await changePassword(t, ALICE.email, { client_id: 'nobody' });
      assert.equal(client.json().code, 'invalid_client');
      const wrongType = await changePassword(t, { $ne: null });
      assert.deepEqual(wrongType.json(), bad('email must be a string'));
      for (const email of [ALICE.email, 'ghost@acme.test', 'GHOST@acme.test']) {
        const res = await changePassword(t, email);
        assert.equal(res.statusCode, 200);
        assert.equal(res.body, ANSWER);
      }
    });

    it('a flood of change_password from one IP keeps answering the same 200', async () => {
      for (let i = 0; i < 60; i++) {
        const res = await changePassword(t, `flood${i % 3}@acme.test`);
        assert.equal(res.statusCode, 200);
        assert.equal(res.body, ANSWER);
      }
    });

    it('pages: a missing, malformed or NUL ticket is a clear 400 page', async () => {
      for (const url of [
        '/lo/reset',
        '/lo/reset?ticket=',
        '/lo/reset?ticket=%00',
        '/lo/reset?ticket=a&ticket=b',
      ]) {
        const res = await t.app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 400, url);
        assert.match(res.body, /This link is not valid/);
      }
      const post = await t.app.inject({
        method: 'POST',
        url: '/lo/reset',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ ticket: ['x'], password: 1 }),
      });
      assert.equal(post.statusCode, 400);
      assert.match(post.body, /This link is not valid/);
    });
  });
}
