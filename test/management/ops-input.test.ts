import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STALE_JOB_MS } from '../../src/identity/jobs.js';
import { listEvents } from '../../src/store/repos/events.js';
import { insertJob } from '../../src/store/repos/jobs.js';
import { findUserById } from '../../src/store/repos/users.js';
import { backgroundOf } from '../../src/notify/background.js';
import { ALICE, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { machineToken, seedMachineClient } from './helpers.js';

const ALL = [
  'read:users',
  'create:users',
  'update:users',
  'read:logs',
  'read:anomaly_blocks',
  'delete:anomaly_blocks',
  'create:user_tickets',
];

const bad = (message: string, errorCode: string, statusCode = 400) => ({
  statusCode,
  error: { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 413: 'Payload Too Large' }[statusCode],
  message,
  errorCode,
});

/** A multipart body as fetch (and the auth0 SDK) sends it. */
async function form(parts: [string, string | Blob][]) {
  const fd = new FormData();
  for (const [k, v] of parts) fd.append(k, v);
  const r = new Request('http://x/', { method: 'POST', body: fd });
  return { payload: Buffer.from(await r.arrayBuffer()), contentType: r.headers.get('content-type')! };
}

const q = (s: string) => `/api/v2/logs?q=${encodeURIComponent(s)}`;

for (const kind of storeKinds) {
  describe(`Management API blocks, logs, tickets, jobs: bad input and scopes (${kind.name})`, () => {
    let t: TestApp;
    let full: string;
    let reader: string;

    const call = async (method: string, url: string, body?: unknown, token = full) => {
      let payload: string | Buffer | undefined;
      let contentType = 'application/json';
      if (Array.isArray(body)) {
        const f = await form(body as [string, string | Blob][]);
        payload = f.payload;
        contentType = f.contentType;
      } else if (body !== undefined) payload = JSON.stringify(body);
      return t.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-type': contentType }),
        },
        ...(payload === undefined ? {} : { payload }),
      });
    };
    const expect = async (
      res: Promise<{ statusCode: number; json(): unknown }>,
      body: ReturnType<typeof bad>,
    ) => {
      const r = await res;
      assert.deepEqual([r.statusCode, r.json()], [body.statusCode, body]);
    };

    before(async () => {
      t = await startTestApp(kind);
      full = await machineToken(t.app, await seedMachineClient(t.rt, 'm2m-ops', ALL));
      reader = await machineToken(t.app, await seedMachineClient(t.rt, 'm2m-reader', ['read:users']));
    });
    after(() => t.close());

    it('refuses a malformed IP address', async () => {
      const body = bad('Path validation error: ip: must be an IPv4 or IPv6 address', 'invalid_uri');
      await expect(call('GET', '/api/v2/anomaly/blocks/ips/not-an-ip'), body);
      await expect(call('DELETE', '/api/v2/anomaly/blocks/ips/1.2.3.999'), body);
      await expect(call('GET', '/api/v2/anomaly/blocks/ips/10.0.0.0%2F8'), body);
      const res = await call('GET', '/api/v2/anomaly/blocks/ips/192.0.2.1');
      assert.deepEqual(
        [res.statusCode, res.json()],
        [404, bad('IP address specified is not currently blocked.', 'not_found', 404)],
      );
    });

    it('refuses a q outside the supported subset, and binds values (no injection)', async () => {
      const qs = (m: string) => bad(`Query validation error: q: ${m}`, 'invalid_query_string');
      await expect(call('GET', q('type:fp AND (')), qs('a term was expected at the end'));
      await expect(call('GET', q('(type:fp')), qs('")" expected at the end'));
      await expect(
        call('GET', q('password:x')),
        qs(
          'unknown field "password" (one of type, user_id, user_name, client_id, client_name, ip, connection, connection_id, log_id)',
        ),
      );
      await expect(
        call('GET', q('user_id:*alice')),
        qs('wildcards, ranges and special characters are not supported (position 8)'),
      );
      await expect(call('GET', q('NOT type:fp')), qs('NOT is not supported (position 0)'));
      await expect(call('GET', q('type:"fp')), qs('unterminated quoted value at position 5'));
      await expect(call('GET', q('type')), qs('":" expected after type at the end'));
      await expect(
        call('GET', `/api/v2/logs?q=${'a'.repeat(1100)}`),
        bad('Query validation error: q: must be at most 1024 characters', 'invalid_query_string'),
      );
      const injected = await call('GET', q(`user_id:"x' OR 1=1 --" OR type:"'; DROP TABLE events; --"`));
      assert.deepEqual([injected.statusCode, injected.json()], [200, []]);
      assert.ok((await listEvents(t.rt.store.db, { limit: 1 })).length >= 0);
    });

    it('refuses paging over the limits and a bad checkpoint or sort', async () => {
      await expect(
        call('GET', '/api/v2/logs?per_page=101'),
        bad('Query validation error: per_page: must be an integer between 1 and 100', 'invalid_query_string'),
      );
      await expect(
        call('GET', '/api/v2/logs?take=101'),
        bad('Query validation error: take: must be an integer between 1 and 100', 'invalid_query_string'),
      );
      await expect(
        call('GET', '/api/v2/logs?from=evt_nope'),
        bad('Query validation error: from: no log event has the id "evt_nope"', 'invalid_query_string'),
      );
      await expect(
        call('GET', '/api/v2/logs?sort=date'),
        bad('Query validation error: sort: must match ^date:(1|-1)$', 'invalid_query_string'),
      );
      await expect(
        call('GET', '/api/v2/user-blocks'),
        bad('Query validation error: identifier: missing required field', 'invalid_query_string'),
      );
    });

    it('refuses a token without the scope of each endpoint', async () => {
      const scope = (s: string) =>
        bad(`Insufficient scope, expected any of: ${s}`, 'insufficient_scope', 403);
      await expect(
        call('DELETE', `/api/v2/user-blocks/${ALICE.id}`, undefined, reader),
        scope('update:users'),
      );
      await expect(
        call('DELETE', '/api/v2/user-blocks?identifier=x', undefined, reader),
        scope('update:users'),
      );
      await expect(call('GET', '/api/v2/logs', undefined, reader), scope('read:logs,read:logs_users'));
      await expect(call('GET', '/api/v2/logs/evt_x', undefined, reader), scope('read:logs,read:logs_users'));
      await expect(
        call('GET', '/api/v2/anomaly/blocks/ips/192.0.2.1', undefined, reader),
        scope('read:anomaly_blocks'),
      );
      await expect(
        call('DELETE', '/api/v2/anomaly/blocks/ips/192.0.2.1', undefined, reader),
        scope('delete:anomaly_blocks'),
      );
      await expect(
        call('POST', '/api/v2/tickets/password-change', { user_id: ALICE.id }, reader),
        scope('create:user_tickets'),
      );
      await expect(
        call('POST', '/api/v2/tickets/email-verification', { user_id: ALICE.id }, reader),
        scope('create:user_tickets'),
      );
      await expect(
        call('POST', '/api/v2/jobs/verification-email', { user_id: ALICE.id }, reader),
        scope('update:users'),
      );
      await expect(
        call(
          'POST',
          '/api/v2/jobs/users-imports',
          [
            ['connection_id', 'con_default'],
            ['users', new Blob(['[]'])],
          ],
          reader,
        ),
        scope('create:users'),
      );
    });

    it('refuses bad tickets, and records the failed write as fapi', async () => {
      await expect(
        call('POST', '/api/v2/tickets/password-change', {}),
        bad('Payload validation error: give user_id, or email and connection_id', 'invalid_body'),
      );
      await expect(
        call('POST', '/api/v2/tickets/password-change', { user_id: 'auth0|ghost' }),
        bad('The user does not exist.', 'inexistent_user', 404),
      );
      const [fapi] = await listEvents(t.rt.store.db, { type: 'fapi', limit: 1 });
      assert.equal(fapi?.description, 'Create a password change ticket');
      assert.equal(fapi?.client_id, 'm2m-ops');
      assert.deepEqual(fapi?.details?.response, { statusCode: 404, message: 'The user does not exist.' });
      await expect(
        call('POST', '/api/v2/tickets/password-change', { user_id: ALICE.id, ttl_sec: 99999999 }),
        bad('Payload validation error: ttl_sec: must be an integer between 0 and 2592000', 'invalid_body'),
      );
      await expect(
        call('POST', '/api/v2/tickets/password-change', { email: 'a@b.test', connection_id: 'con_nope' }),
        bad('Payload validation error: connection_id: no connection "con_nope"', 'invalid_body'),
      );
      await expect(
        call('POST', '/api/v2/tickets/email-verification', {
          user_id: ALICE.id,
          result_url: 'javascript:alert(1)',
        }),
        bad('Payload validation error: result_url: must be an absolute http(s) URL', 'invalid_body'),
      );
    });

    it('refuses bad jobs: unknown ids, users, clients', async () => {
      const none = bad('The job does not exist.', 'inexistent_job', 404);
      await expect(call('GET', '/api/v2/jobs/job_0000000000000000'), none);
      await expect(call('GET', '/api/v2/jobs/job_0000000000000000/errors'), none);
      await expect(
        call('POST', '/api/v2/jobs/verification-email', { user_id: 'auth0|ghost' }),
        bad('The user does not exist.', 'inexistent_user', 404),
      );
      await expect(
        call('POST', '/api/v2/jobs/verification-email', { user_id: ALICE.id, client_id: 'nope' }),
        bad('Payload validation error: client_id: no client "nope"', 'invalid_body'),
      );
    });

    it('refuses a bad import: not multipart, not JSON, too large, unknown connection, bad fields', async () => {
      const users = (s: string) => ['users', new Blob([s], { type: 'application/json' })] as [string, Blob];
      const conn: [string, string] = ['connection_id', 'con_default'];
      const url = '/api/v2/jobs/users-imports';
      await expect(
        call('POST', url, { connection_id: 'con_default' }),
        bad('The body must be multipart/form-data with a users file', 'invalid_body'),
      );
      await expect(
        call('POST', url, [conn, users('not json')]),
        bad(
          "users: the file is not JSON (Auth0's bulk import format is a JSON array of users)",
          'invalid_body',
        ),
      );
      await expect(
        call('POST', url, [conn, users('{"email":"a@b.test"}')]),
        bad('users: the file must be a JSON array of users ([{ "email": … }, …])', 'invalid_body'),
      );
      await expect(
        call('POST', url, [conn, users('[]')]),
        bad('users: the file holds no users', 'invalid_body'),
      );
      await expect(
        call('POST', url, [conn, users(`[${'"x",'.repeat(200_000)}"x"]`)]),
        bad('The users file is larger than 500 KB', 'payload_too_large', 413),
      );
      await expect(
        call('POST', url, [['connection_id', 'con_nope'], users('[{}]')]),
        bad('Payload validation error: connection_id: no connection "con_nope"', 'invalid_body'),
      );
      await expect(
        call('POST', url, [conn]),
        bad('Payload validation error: users: a file is required', 'invalid_body'),
      );
      await expect(
        call('POST', url, [users('[{}]')]),
        bad('Payload validation error: connection_id: is required', 'invalid_body'),
      );
      await expect(
        call('POST', url, [conn, ['evil', 'x'], users('[{}]')]),
        bad('Payload validation error: unknown field "evil"', 'invalid_body'),
      );
      await expect(
        call('POST', url, [conn, ['upsert', 'yes'], users('[{}]')]),
        bad('Payload validation error: upsert: must be true or false', 'invalid_body'),
      );
    });

    it('an upsert import needs update:users besides create:users (it changes existing users)', async () => {
      const creator = await machineToken(
        t.app,
        await seedMachineClient(t.rt, 'm2m-creator', ['create:users']),
      );
      const url = '/api/v2/jobs/users-imports';
      const parts = (upsert: string, email = ALICE.email): [string, string | Blob][] => [
        ['connection_id', 'con_default'],
        ['upsert', upsert],
        ['users', new Blob([`[{"email":"${email}","name":"Taken Over"}]`])],
      ];
      await expect(
        call('POST', url, parts('true'), creator),
        bad('Insufficient scope, expected any of: update:users', 'insufficient_scope', 403),
      );
      const [fapi] = await listEvents(t.rt.store.db, { type: 'fapi', limit: 1 });
      assert.deepEqual([fapi?.description, fapi?.client_id], ['Insufficient scope', 'm2m-creator']);
      const plain = await call('POST', url, parts('false'), creator);
      assert.equal(plain.statusCode, 202, plain.body);
      const upsert = await call('POST', url, parts('true', 'upsert-new@acme.test'), full);
      assert.equal(upsert.statusCode, 202, upsert.body);
      assert.equal(upsert.json().upsert, true);
      await backgroundOf(t.rt, t.rt.log).idle();
      assert.notEqual((await findUserById(t.rt.store.db, ALICE.id))?.profile.name, 'Taken Over');
    });

    it('refuses NUL in the form and in the file', async () => {
      const url = '/api/v2/jobs/users-imports';
      const file = (s: string) => ['users', new Blob([s])] as [string, Blob];
      await expect(
        call('POST', url, [['connection_id', 'con\u0000x'], file('[{}]')]),
        bad(
          'Payload validation error: connection_id: must be text of at most 255 characters',
          'invalid_body',
        ),
      );
      await expect(
        call('POST', url, [['connection_id', 'con_default'], file('[{"email":"a\\u0000@b.test"}]')]),
        bad('users: the file holds a NUL character (\\u0000)', 'invalid_body'),
      );
    });

    it('fails a job left pending or processing by a stopped server when it is read', async () => {
      const long = t.rt.now() - STALE_JOB_MS - 1;
      for (const [id, status] of [
        ['job_00000000000000aa', 'processing'],
        ['job_00000000000000bb', 'pending'],
      ] as const) {
        await insertJob(t.rt.store.db, {
          id,
          type: 'users_import',
          status,
          client_id: 'm2m-ops',
          connection_id: 'con_default',
          connection: 'Username-Password-Authentication',
          payload: JSON.stringify({ upsert: false, external_id: null }),
          summary: null,
          errors: null,
          created_at: long,
          updated_at: long,
        });
        const res = await call('GET', `/api/v2/jobs/${id}`);
        assert.equal(res.statusCode, 200);
        assert.equal(res.json().status, 'failed');
        const errors = await call('GET', `/api/v2/jobs/${id}/errors`);
        assert.deepEqual(errors.json(), [
          {
            user: {},
            errors: [
              { code: 'INTERRUPTED', message: 'The job was interrupted (its server stopped); run it again' },
            ],
          },
        ]);
      }
    });

    it('shows no secret in the logs', async () => {
      await tokenRequest(t.app, {
        grant_type: 'password',
        client_id: 'acme-web',
        client_secret: SECRET,
        username: ALICE.email,
        password: 'a-wrong-password-for-the-log',
      });
      const res = await call('GET', '/api/v2/logs?per_page=100');
      assert.equal(res.statusCode, 200);
      assert.ok(!res.body.includes('a-wrong-password-for-the-log'));
      assert.ok(!res.body.includes(SECRET));
      assert.ok(!res.body.includes(full));
      const fp = (res.json() as { type: string; user_name: string }[]).find((e) => e.type === 'fp');
      assert.equal(fp?.user_name, ALICE.email);
    });
  });
}
