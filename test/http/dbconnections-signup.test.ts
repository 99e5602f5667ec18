import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backgroundOf } from '../../src/notify/background.js';
import { listEvents } from '../../src/store/repos/events.js';
import { findConnectionByName, upsertConnection } from '../../src/store/repos/connections.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { findUserById } from '../../src/store/repos/users.js';
import { ALICE, startTestApp, type TestApp } from '../helpers/app.js';
import { signup } from '../helpers/dbconnections.js';
import { storeKinds } from '../helpers/stores.js';

const STRONG = 'Blue-Tangerine-42';
const POLICY_TEXT = [
  '* At least 8 characters in length',
  '* Contain at least 3 of the following 4 types of characters:',
  ' * lower case letters (a-z)',
  ' * upper case letters (A-Z)',
  ' * numbers (i.e. 0-9)',
  ' * special characters (e.g. !@#$%^&*)',
].join('\n');

const base = { client_id: 'acme-web', connection: 'Username-Password-Authentication' };

for (const kind of storeKinds) {
  describe(`POST /dbconnections/signup (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(async () => {
      await backgroundOf(t.rt, t.rt.log).idle();
      await t.close();
    });

    it('creates the user and answers Auth0’s shape, with the profile fields sent', async () => {
      const res = await signup(t, {
        ...base,
        email: 'Ann@Example.com',
        password: STRONG,
        given_name: 'Ann',
        family_name: 'Example',
        name: 'Ann Example',
        nickname: 'ann',
        picture: 'https://example.com/ann.png',
        user_metadata: { plan: 'free' },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(res.headers['content-type'] as string, /^application\/json/);
      const body = res.json();
      assert.match(body._id, /^[0-9a-f]{24}$/);
      assert.deepEqual(body, {
        _id: body._id,
        email: 'Ann@Example.com',
        email_verified: false,
        given_name: 'Ann',
        family_name: 'Example',
        name: 'Ann Example',
        nickname: 'ann',
        picture: 'https://example.com/ann.png',
        user_metadata: { plan: 'free' },
      });
      const user = await findUserById(t.rt.store.db, `auth0|${body._id}`);
      assert.equal(user?.email, 'Ann@Example.com');
      assert.equal(user?.email_verified, false);
      assert.equal(user?.profile.given_name, 'Ann');
      assert.deepEqual(user?.user_metadata, { plan: 'free' });
      assert.match(user?.password_hash ?? '', /^\$argon2id\$/);
      const [ss] = await listEvents(t.rt.store.db, { type: 'ss' });
      assert.equal(ss?.user_id, `auth0|${body._id}`);
      assert.equal(ss?.client_id, 'acme-web');
      assert.equal(ss?.connection, 'Username-Password-Authentication');
    });

    it('accepts a form body too, and the new user can log in', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/dbconnections/signup',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ ...base, email: 'bob@example.com', password: STRONG }).toString(),
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(Object.keys(res.json()).sort(), ['_id', 'email', 'email_verified']);
      const login = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'password',
          client_id: 'acme-web',
          client_secret: 'web-secret-0123456789-abcdefghij',
          username: 'bob@example.com',
          password: STRONG,
        }).toString(),
      });
      assert.equal(login.statusCode, 200, login.body);
    });

    it('answers an address already taken with invalid_signup, after the same work, and logs fs', async () => {
      for (const email of [ALICE.email, ALICE.email.toUpperCase()]) {
        const res = await signup(t, { ...base, email, password: STRONG });
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), {
          name: 'BadRequestError',
          code: 'invalid_signup',
          description: 'Invalid sign up',
          statusCode: 400,
        });
      }
      const [fs] = await listEvents(t.rt.store.db, { type: 'fs' });
      assert.equal(fs?.user_name, ALICE.email.toUpperCase());
      assert.equal(fs?.description, 'Invalid sign up');
    });

    it('two concurrent sign-ups of one address: one user, one invalid_signup', async () => {
      const results = await Promise.all(
        [1, 2, 3].map(() => signup(t, { ...base, email: 'race@example.com', password: STRONG })),
      );
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 400, 400]);
      for (const r of results.filter((x) => x.statusCode === 400))
        assert.equal(r.json().code, 'invalid_signup');
      const rows = await t.rt.store.db
        .selectFrom('users')
        .select('id')
        .where('email_lower', '=', 'race@example.com')
        .execute();
      assert.equal(rows.length, 1);
    });

    it('takes a username only where the connection requires one, within its validation', async () => {
      const no = await signup(t, { ...base, email: 'u1@example.com', username: 'uno', password: STRONG });
      assert.equal(no.statusCode, 400);
      assert.deepEqual(no.json(), {
        name: 'BadRequestError',
        code: 'invalid_body',
        description: 'Cannot set username for connection without requires_username',
        statusCode: 400,
      });
      const conn = (await findConnectionByName(t.rt.store.db, 'employees'))!;
      await upsertConnection(
        t.rt.store.db,
        { ...conn, options: { requires_username: true, validation: { username: { min: 3, max: 8 } } } },
        t.rt.now(),
      );
      const emp = { ...base, connection: 'employees', password: STRONG };
      assert.deepEqual(
        (await signup(t, { ...emp, email: 'u2@example.com' })).json().description,
        'Missing username',
      );
      assert.equal(
        (await signup(t, { ...emp, email: 'u2@example.com', username: 'way-too-long' })).json().description,
        'username must be 3 to 8 characters',
      );
      assert.equal(
        (await signup(t, { ...emp, email: 'u2@example.com', username: 'a b c' })).json().description,
        "username may only contain letters, digits and _+-.!#$'^`~@",
      );
      const ok = await signup(t, { ...emp, email: 'u2@example.com', username: 'dos' });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().username, 'dos');
      const taken = await signup(t, { ...emp, email: 'u3@example.com', username: 'DOS' });
      assert.equal(taken.json().code, 'invalid_signup');
      await upsertConnection(t.rt.store.db, { ...conn, options: {} }, t.rt.now());
    });

    it('refuses a weak password with PasswordStrengthError: the rules and the policy text', async () => {
      const res = await signup(t, { ...base, email: 'weak@example.com', password: 'abc' });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        name: 'PasswordStrengthError',
        message: 'Password is too weak',
        code: 'invalid_password',
        description: {
          rules: [
            {
              message: 'At least %d characters in length',
              format: [8],
              code: 'lengthAtLeast',
              verified: false,
            },
            {
              message: 'Contain at least %d of the following %d types of characters:',
              code: 'containsAtLeast',
              format: [3, 4],
              items: [
                { message: 'lower case letters (a-z)', code: 'lowerCase', verified: true },
                { message: 'upper case letters (A-Z)', code: 'upperCase', verified: false },
                { message: 'numbers (i.e. 0-9)', code: 'numbers', verified: false },
                { message: 'special characters (e.g. !@#$%^&*)', code: 'specialCharacters', verified: false },
              ],
              verified: false,
            },
          ],
          verified: false,
        },
        policy: POLICY_TEXT,
        statusCode: 400,
      });
      assert.equal(await findUserByEmail(t, 'weak@example.com'), undefined);
    });

    it('refuses a password of the dictionary with PasswordDictionaryError', async () => {
      const conn = (await findConnectionByName(t.rt.store.db, 'employees'))!;
      await upsertConnection(
        t.rt.store.db,
        { ...conn, options: { password_dictionary: { enable: true, dictionary: ['Acme-Rocks-2026'] } } },
        t.rt.now(),
      );
      const res = await signup(t, {
        ...base,
        connection: 'employees',
        email: 'dict@example.com',
        password: 'Acme-Rocks-2026',
      });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        name: 'PasswordDictionaryError',
        message: 'Password is too common',
        code: 'invalid_password',
        description: 'Password is not allowed, it might be too common.',
        statusCode: 400,
      });
    });

    it('refuses a breached password when breached-password detection is on', async () => {
      await putSetting(t.rt.store.db, 'attackProtection', { breachedPasswordDetection: { enabled: true } });
      try {
        const res = await signup(t, { ...base, email: 'leak@example.com', password: 'P@ssw0rd' });
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), {
          name: 'BadRequestError',
          code: 'password_leaked',
          description:
            'This password has been leaked in a data breach of another website and cannot be used. Please choose another.',
          statusCode: 400,
        });
      } finally {
        await putSetting(t.rt.store.db, 'attackProtection', {});
      }
    });

    it('answers 403 operation_not_allowed when the connection disables sign-ups', async () => {
      const conn = (await findConnectionByName(t.rt.store.db, 'employees'))!;
      await upsertConnection(t.rt.store.db, { ...conn, options: { disable_signup: true } }, t.rt.now());
      const res = await signup(t, {
        ...base,
        connection: 'employees',
        email: 'x@example.com',
        password: STRONG,
      });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        name: 'ForbiddenError',
        code: 'operation_not_allowed',
        description: 'Signups are not allowed.',
        statusCode: 403,
      });
      await upsertConnection(t.rt.store.db, { ...conn, options: {} }, t.rt.now());
    });

    it('refuses a connection that is unknown or not enabled for the client, with one answer', async () => {
      const expected = {
        name: 'BadRequestError',
        code: 'invalid_connection',
        description: 'The connection does not exist or is not enabled for this client',
        statusCode: 400,
      };
      for (const body of [
        { ...base, connection: 'nope', email: 'y@example.com', password: STRONG },
        {
          ...base,
          client_id: 'acme-basic',
          connection: 'employees',
          email: 'y@example.com',
          password: STRONG,
        },
      ]) {
        const res = await signup(t, body);
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), expected);
      }
      const res = await signup(t, { ...base, client_id: 'nobody', email: 'y@example.com', password: STRONG });
      assert.deepEqual(res.json(), {
        name: 'BadRequestError',
        code: 'invalid_client',
        description: 'Unknown client',
        statusCode: 400,
      });
    });

    it('throttles sign-ups per IP: 50 a minute by default, then 429 with Retry-After and limit_sul', async () => {
      let last = await signup(t, { ...base, email: 'z@example.com', password: 'x' });
      // The earlier tests of this suite used some of this IP's 50.
      let n = 1;
      while (last.statusCode !== 429 && n < 60) {
        last = await signup(t, { ...base, email: `z${n}@example.com`, password: 'x' });
        n++;
      }
      assert.equal(last.statusCode, 429);
      assert.ok(n <= 51, `throttled after ${n}`);
      assert.equal(last.headers['retry-after'], '2');
      assert.deepEqual(last.json(), {
        name: 'TooManyRequestsError',
        code: 'too_many_attempts',
        description:
          'We have detected suspicious sign up behavior from your IP address and further attempts will be blocked. Please try again later.',
        statusCode: 429,
      });
      assert.equal((await listEvents(t.rt.store.db, { type: 'limit_sul' })).length, 1);
      t.clock.advance(1_200);
      const again = await signup(t, { ...base, email: 'later@example.com', password: STRONG });
      assert.equal(again.statusCode, 200, again.body);
    });
  });
}

async function findUserByEmail(t: TestApp, email: string) {
  const rows = await t.rt.store.db
    .selectFrom('users')
    .select('id')
    .where('email_lower', '=', email)
    .execute();
  return rows[0];
}
