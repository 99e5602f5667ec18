import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listEvents } from '../../src/store/repos/events.js';
import { ALICE, API, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { machineToken, seedMachineClient } from './helpers.js';

const ALL = ['read:users', 'create:users', 'update:users', 'delete:users'];

for (const kind of storeKinds) {
  describe(`Management API security and bad input (${kind.name})`, () => {
    let t: TestApp;
    let full: string;
    let readOnly: string;
    const call = (method: string, url: string, token?: string, payload?: unknown) =>
      t.app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined
          ? {}
          : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });

    before(async () => {
      t = await startTestApp(kind);
      const m2m = await seedMachineClient(t.rt, 'm2m-full', ALL);
      const reader = await seedMachineClient(t.rt, 'm2m-reader', ['read:users']);
      full = await machineToken(t.app, m2m);
      readOnly = await machineToken(t.app, reader);
    });
    after(() => t.close());

    it('refuses a request without a token: 401 in the management shape', async () => {
      const res = await call('GET', `/api/v2/users/${ALICE.id}`);
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), {
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Missing authentication',
        errorCode: 'missing_authentication',
      });
    });

    it('refuses a token for another audience', async () => {
      const m2m = await seedMachineClient(t.rt, 'm2m-orders', ['read:users']);
      const grants = [{ client_id: 'm2m-orders', audience: API, scope: ['read:orders'] }];
      const { putSetting, getSetting } = await import('../../src/store/repos/settings.js');
      await putSetting(t.rt.store.db, 'clientGrants', [
        ...((await getSetting<unknown[]>(t.rt.store.db, 'clientGrants')) ?? []),
        ...grants,
      ]);
      const other = await machineToken(t.app, m2m, API);
      const res = await call('GET', `/api/v2/users/${ALICE.id}`, other);
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), {
        statusCode: 401,
        error: 'Unauthorized',
        message: `Bad audience: ${API}`,
        errorCode: 'invalid_audience',
      });
    });

    it('refuses an expired token', async () => {
      const m2m = await seedMachineClient(t.rt, 'm2m-expiring', ['read:users']);
      const token = await machineToken(t.app, m2m);
      t.clock.advance(86_401_000);
      try {
        const res = await call('GET', `/api/v2/users/${ALICE.id}`, token);
        assert.equal(res.statusCode, 401);
        assert.deepEqual(res.json(), {
          statusCode: 401,
          error: 'Unauthorized',
          message: 'Expired token received for JSON Web Token validation',
          errorCode: 'token_expired',
        });
      } finally {
        t.clock.advance(-86_401_000);
      }
    });

    it('refuses a token without the scope: 403 naming it', async () => {
      const res = await call('POST', '/api/v2/users', readOnly, {
        connection: 'Username-Password-Authentication',
        email: 'x@acme.test',
      });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected any of: create:users',
        errorCode: 'insufficient_scope',
      });
    });

    it('refuses a token of the password grant, even for the Management API audience', async () => {
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        client_id: 'acme-web',
        client_secret: SECRET,
        username: ALICE.email,
        password: ALICE.password,
        audience: 'https://tessera.test/api/v2/',
        scope: 'read:users',
      });
      assert.equal(res.statusCode, 200, res.body);
      // A password alone never buys a management scope: they come from client grants only.
      const claims = JSON.parse(Buffer.from(res.json().access_token.split('.')[1], 'base64url').toString());
      assert.ok(
        !String(claims.scope ?? '')
          .split(' ')
          .includes('read:users'),
        claims.scope,
      );
      const got = await call('GET', `/api/v2/users/${ALICE.id}`, res.json().access_token);
      assert.equal(got.statusCode, 401);
      assert.deepEqual(got.json(), {
        statusCode: 401,
        error: 'Unauthorized',
        message: 'The Management API takes tokens of the client_credentials grant only',
        errorCode: 'invalid_token',
      });
    });

    it('refuses a Management API token at /userinfo', async () => {
      const res = await call('GET', '/userinfo', full);
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error, 'invalid_token');
    });

    it('refuses per_page above 100 with a clear 400', async () => {
      const res = await call('GET', '/api/v2/users?per_page=101', full);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Query validation error: per_page: must be an integer between 1 and 100',
        errorCode: 'invalid_query_string',
      });
    });

    it('pages users with include_totals', async () => {
      const res = await call('GET', '/api/v2/users?per_page=1&page=0&include_totals=true', full);
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.deepEqual(
        { start: body.start, limit: body.limit, length: body.length, total: body.total },
        { start: 0, limit: 1, length: 1, total: 1 },
      );
      assert.equal(body.users[0].user_id, ALICE.id);
      const bare = await call('GET', '/api/v2/users?page=3', full);
      assert.deepEqual(bare.json(), []);
    });

    it('refuses user_id in a PATCH body', async () => {
      const res = await call('PATCH', `/api/v2/users/${ALICE.id}`, full, { user_id: 'auth0|other' });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Payload validation error: user_id: unknown field',
        errorCode: 'invalid_body',
      });
    });

    it('refuses a weak password on create and on update', async () => {
      const created = await call('POST', '/api/v2/users', full, {
        connection: 'Username-Password-Authentication',
        email: 'weak@acme.test',
        password: 'abc',
      });
      assert.equal(created.statusCode, 400);
      assert.equal(created.json().errorCode, 'invalid_body');
      assert.match(created.json().message, /^PasswordStrengthError: Password is too weak: /);
      const patched = await call('PATCH', `/api/v2/users/${ALICE.id}`, full, { password: 'abc' });
      assert.equal(patched.statusCode, 400);
      assert.match(patched.json().message, /^PasswordStrengthError/);
    });

    it('answers 409 for an email that is taken, on create and on update', async () => {
      const created = await call('POST', '/api/v2/users', full, {
        connection: 'Username-Password-Authentication',
        email: ALICE.email.toUpperCase(),
        password: 'Another-Horse-Battery-9',
      });
      assert.equal(created.statusCode, 409);
      assert.deepEqual(created.json(), {
        statusCode: 409,
        error: 'Conflict',
        message: 'The user already exists.',
        errorCode: 'auth0_idp_error',
      });
      const bob = await call('POST', '/api/v2/users', full, {
        connection: 'Username-Password-Authentication',
        email: 'bob@acme.test',
      });
      assert.equal(bob.statusCode, 201);
      const patched = await call('PATCH', `/api/v2/users/${bob.json().user_id}`, full, {
        email: ALICE.email,
      });
      assert.equal(patched.statusCode, 409);
      assert.equal(patched.json().message, 'The user already exists.');
    });

    it('refuses a NUL byte in a field with a 400', async () => {
      const res = await call('POST', '/api/v2/users', full, {
        connection: 'Username-Password-Authentication',
        email: 'nul\u0000@acme.test',
      });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().statusCode, 400);
      const meta = await call('PATCH', `/api/v2/users/${ALICE.id}`, full, {
        user_metadata: { a: 'x\u0000y' },
      });
      assert.equal(meta.statusCode, 400);
      assert.equal(meta.json().statusCode, 400);
    });

    it('answers 404 inexistent_user, and 404 for an unknown path, in the management shape', async () => {
      const res = await call('GET', '/api/v2/users/auth0%7Cnobody', full);
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'The user does not exist.',
        errorCode: 'inexistent_user',
      });
      const path = await call('GET', '/api/v2/no-such-thing', full);
      assert.equal(path.statusCode, 404);
      assert.deepEqual(path.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'Not Found',
        errorCode: 'not_found',
      });
    });

    it('answers bad paths in the management shape: NUL, too long', async () => {
      const nul = await call('GET', '/api/v2/users/a%00b', full);
      assert.equal(nul.statusCode, 400);
      assert.equal(nul.json().statusCode, 400);
      const long = await call('GET', `/api/v2/users/${'x'.repeat(300)}`, full);
      assert.equal(long.statusCode, 414);
      assert.deepEqual(long.json(), {
        statusCode: 414,
        error: 'URI Too Long',
        message: 'A path parameter is too long',
        errorCode: 'invalid_uri',
      });
    });

    it('refuses unknown query fields and bad paging by name', async () => {
      const unknown = await call('GET', '/api/v2/users?foo=1', full);
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().message, 'Query validation error: foo: unknown field');
      const negative = await call('GET', '/api/v2/users?page=-1', full);
      assert.equal(
        negative.json().message,
        'Query validation error: page: must be an integer between 0 and 1000',
      );
    });

    it('refuses a body that is not JSON with a 400 in the management shape', async () => {
      const res = await call('POST', '/api/v2/users', full, '{"connection":');
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Invalid request payload JSON format',
        errorCode: 'invalid_body',
      });
    });

    it('records every write as sapi / fapi with the calling client', async () => {
      const ok = await call('POST', '/api/v2/users', full, {
        connection: 'Username-Password-Authentication',
        email: 'audited@acme.test',
      });
      assert.equal(ok.statusCode, 201);
      const [sapi] = await listEvents(t.rt.store.db, { type: 'sapi', limit: 1 });
      assert.equal(sapi?.description, 'Create a User');
      assert.equal(sapi?.client_id, 'm2m-full');
      assert.equal(sapi?.user_id, ok.json().user_id);
      const bad = await call('DELETE', '/api/v2/users/auth0%7Cnobody', full);
      assert.equal(bad.statusCode, 404);
      const [fapi] = await listEvents(t.rt.store.db, { type: 'fapi', limit: 1 });
      assert.equal(fapi?.description, 'Delete a User');
      assert.equal(fapi?.client_id, 'm2m-full');
      assert.deepEqual((fapi?.details as { response?: unknown } | undefined)?.response, {
        statusCode: 404,
        message: 'The user does not exist.',
      });
    });

    it('audits a refused scope as fapi, a rate limit once a minute per client as api_limit, never a 401', async () => {
      const res = await call('DELETE', `/api/v2/users/${ALICE.id}`, readOnly);
      assert.equal(res.statusCode, 403);
      const [fapi] = await listEvents(t.rt.store.db, { type: 'fapi', limit: 1 });
      assert.deepEqual(
        { ...fapi, id: undefined, date: undefined },
        {
          id: undefined,
          date: undefined,
          type: 'fapi',
          description: 'Insufficient scope',
          client_id: 'm2m-reader',
          client_ip: null,
          client_name: null,
          ip: '127.0.0.1',
          user_agent: 'lightMyRequest',
          user_id: null,
          user_name: null,
          connection: null,
          connection_id: null,
          details: {
            request: { method: 'DELETE', path: `/api/v2/users/${ALICE.id}` },
            response: { statusCode: 403, message: 'Insufficient scope, expected any of: delete:users' },
          },
        },
      );

      // Anyone can send a bad token: recording each would let them write to the audit log at will.
      const count = async () => (await listEvents(t.rt.store.db, { limit: 1000 })).length;
      const before = await count();
      for (const token of ['garbage', 'a.b.c', full.slice(0, -4)]) {
        assert.equal((await call('GET', `/api/v2/users/${ALICE.id}`, token)).statusCode, 401);
      }
      assert.equal((await call('GET', `/api/v2/users/${ALICE.id}`)).statusCode, 401);
      assert.equal(await count(), before);

      const token = await machineToken(t.app, await seedMachineClient(t.rt, 'm2m-flood', ['read:users']));
      const flood = async (n: number) => {
        const codes: number[] = [];
        for (let i = 0; i < n; i++)
          codes.push((await call('GET', `/api/v2/users/${ALICE.id}`, token)).statusCode);
        return codes;
      };
      const limits = async () =>
        (await listEvents(t.rt.store.db, { type: 'api_limit', limit: 10 })).filter(
          (e) => e.client_id === 'm2m-flood',
        );
      assert.deepEqual((await flood(53)).slice(48), [200, 200, 429, 429, 429]);
      const [limit, ...more] = await limits();
      assert.deepEqual(more, []); // one event for the three refusals
      assert.equal(limit!.description, 'Rate limit of the Management API reached');
      assert.deepEqual(limit!.details, {
        request: { method: 'GET', path: `/api/v2/users/${ALICE.id}` },
        response: { statusCode: 429, message: 'Global limit has been reached' },
        limit: { capacity: 50, perSecond: 15 },
      });
      t.clock.advance(61_000);
      try {
        assert.ok((await flood(60)).includes(429));
        assert.equal((await limits()).length, 2); // a minute later, a new one
      } finally {
        t.clock.advance(-61_000);
      }
    });

    it('limits each client, with X-RateLimit-* headers and a 429 in the management shape', async () => {
      const m2m = await seedMachineClient(t.rt, 'm2m-busy', ['read:users']);
      const token = await machineToken(t.app, m2m);
      const first = await call('GET', `/api/v2/users/${ALICE.id}`, token);
      assert.equal(first.headers['x-ratelimit-limit'], '50');
      assert.equal(first.headers['x-ratelimit-remaining'], '49');
      assert.match(String(first.headers['x-ratelimit-reset']), /^\d+$/);
      for (let i = 0; i < 49; i++) await call('GET', `/api/v2/users/${ALICE.id}`, token);
      const limited = await call('GET', `/api/v2/users/${ALICE.id}`, token);
      assert.equal(limited.statusCode, 429);
      assert.deepEqual(limited.json(), {
        statusCode: 429,
        error: 'Too Many Requests',
        message: 'Global limit has been reached',
        errorCode: 'too_many_requests',
      });
      assert.equal(limited.headers['x-ratelimit-remaining'], '0');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      // Another client is not affected.
      assert.equal((await call('GET', `/api/v2/users/${ALICE.id}`, full)).statusCode, 200);
    });
  });
}
