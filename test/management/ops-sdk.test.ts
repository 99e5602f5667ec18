import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ManagementApiError } from 'auth0';
import { backgroundOf } from '../../src/notify/background.js';
import { readOutbox } from '../../src/notify/outbox.js';
import { ipBlockId, userBlockId } from '../../src/protection/block-ids.js';
import { type BlockRow, listBlocks, putBlock } from '../../src/store/repos/blocks.js';
import { listEvents } from '../../src/store/repos/events.js';
import { findUserById } from '../../src/store/repos/users.js';
import { ALICE } from '../helpers/app.js';
import { type ManagementHarness, startManagement, USER_SCOPES } from '../helpers/management.js';
import { storeKinds } from '../helpers/stores.js';

const SCOPES = [
  ...USER_SCOPES,
  'read:logs',
  'read:anomaly_blocks',
  'delete:anomaly_blocks',
  'create:user_tickets',
];
const FIXTURE = new URL('../fixtures/auth0-users-export.json', import.meta.url);
const DB = 'Username-Password-Authentication';

function block(h: ManagementHarness, identifier: string, ip: string | null, userId: string | null): BlockRow {
  const now = h.rt.now();
  return {
    id: userBlockId('con_default', identifier, ip ?? undefined),
    kind: 'user',
    connection_id: 'con_default',
    identifier,
    user_id: userId,
    ip,
    attempts: 10,
    created_at: now,
    updated_at: now,
    expires_at: null,
    lifted_at: null,
    notified_at: null,
  };
}

/** Follows a reset link as a browser does: GET the page, then POST its form with the cookie. */
async function resetThroughPage(h: ManagementHarness, url: string, password: string) {
  const path = url.slice(h.issuer.length - 1);
  const page = await h.app.inject({ method: 'GET', url: path });
  assert.equal(page.statusCode, 200, page.body);
  const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const ticket = new URL(url).searchParams.get('ticket')!;
  return h.app.inject({
    method: 'POST',
    url: '/lo/reset',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    payload: new URLSearchParams({ ticket, csrf, password, confirm: password }).toString(),
  });
}

async function mailTo(h: ManagementHarness, to: string) {
  await backgroundOf(h.rt, h.rt.log).idle();
  const [m] = await readOutbox(h.rt.store, h.rt.config.secret, { recipient: to, limit: 1 });
  return m;
}

/** An import job once the background work is done: its status, summary and per-user errors. */
async function finishedImport(h: ManagementHarness, id: string) {
  await backgroundOf(h.rt, h.rt.log).idle();
  const job = (await h.management.jobs.get({ id })).data as unknown as Record<string, unknown>;
  const errors = (await h.management.jobs.getErrors({ id })).data as unknown as {
    user: Record<string, unknown>;
    errors: { code: string; message: string; path?: string }[];
  }[];
  return { status: job.status, summary: job.summary, errors };
}

const VERIFY_LINK = /https:\/\/localhost:\d+\/(lo\/verify_email\?ticket=[A-Za-z0-9_-]{43})/;

for (const kind of storeKinds) {
  describe(`Management API blocks, logs, tickets and jobs through the auth0 SDK (${kind.name})`, () => {
    let h: ManagementHarness;
    before(async () => {
      h = await startManagement(kind, { scopes: SCOPES });
    });
    after(() => h.close());

    it("reads and lifts a user's brute-force blocks, by user_id and by identifier", async () => {
      await putBlock(h.rt.store.db, block(h, ALICE.email, '203.0.113.7', ALICE.id));
      await putBlock(h.rt.store.db, block(h, 'zoe@acme.test', '203.0.113.8', null));
      const got = await h.management.userBlocks.get({ id: ALICE.id });
      assert.deepEqual(got.data, {
        blocked_for: [{ identifier: ALICE.email, ip: '203.0.113.7', connection: DB }],
      });
      const byId = await h.management.userBlocks.getAll({ identifier: 'ZOE@acme.test' });
      assert.deepEqual(byId.data, {
        blocked_for: [{ identifier: 'zoe@acme.test', ip: '203.0.113.8', connection: DB }],
      });

      assert.equal((await h.management.userBlocks.delete({ id: ALICE.id })).status, 204);
      assert.deepEqual((await h.management.userBlocks.get({ id: ALICE.id })).data, { blocked_for: [] });
      assert.equal((await h.management.userBlocks.deleteAll({ identifier: 'zoe@acme.test' })).status, 204);
      assert.deepEqual((await listBlocks(h.rt.store.db)).length, 0);

      const unblocks = await listEvents(h.rt.store.db, { type: 'ublkdu' });
      assert.equal(unblocks.length, 2);
      const sapi = await listEvents(h.rt.store.db, { type: 'sapi', limit: 2 });
      assert.deepEqual(
        sapi.map((e) => [e.description, e.client_id]),
        [
          ['Unblock a User by identifier', 'mgmt-m2m'],
          ['Unblock a User', 'mgmt-m2m'],
        ],
      );
      await assert.rejects(h.management.userBlocks.get({ id: 'auth0|nobody' }), (err: unknown) => {
        assert.ok(err instanceof ManagementApiError);
        assert.equal(err.statusCode, 404);
        assert.equal(err.errorCode, 'inexistent_user');
        return true;
      });
    });

    it('checks and lifts an IP throttle: 200 while throttled, 404 when not', async () => {
      const now = h.rt.now();
      await putBlock(h.rt.store.db, {
        id: ipBlockId('198.51.100.4'),
        kind: 'ip',
        connection_id: null,
        identifier: null,
        user_id: null,
        ip: '198.51.100.4',
        attempts: 100,
        created_at: now,
        updated_at: now,
        expires_at: now + 3600_000,
        lifted_at: null,
        notified_at: null,
      });
      const blocked = await h.management.anomaly.checkIfIpIsBlocked({ id: '198.51.100.4' });
      assert.equal(blocked.status, 200);
      assert.equal((await h.management.anomaly.deleteBlockedIp({ id: '198.51.100.4' })).status, 204);
      await assert.rejects(
        h.management.anomaly.checkIfIpIsBlocked({ id: '198.51.100.4' }),
        (err: unknown) => {
          assert.ok(err instanceof ManagementApiError);
          assert.equal(err.statusCode, 404);
          assert.equal(err.message, 'IP address specified is not currently blocked.');
          return true;
        },
      );
      // Lifting an IP that is not throttled is no error (as Auth0).
      assert.equal((await h.management.anomaly.deleteBlockedIp({ id: '2001:db8::1' })).status, 204);
    });

    it('issues a password-change ticket whose link works on the reset page', async () => {
      const res = await h.management.tickets.changePassword({
        user_id: ALICE.id,
        result_url: 'https://app.acme.test/done',
        ttl_sec: 3600,
        includeEmailInRedirect: true,
      });
      assert.equal(res.status, 201);
      assert.match(res.data.ticket, /^https:\/\/localhost:\d+\/lo\/reset\?ticket=[A-Za-z0-9_-]{43}$/);
      const done = await resetThroughPage(h, res.data.ticket, 'Ticket-Horse-Battery-5');
      assert.equal(done.statusCode, 200, done.body);
      assert.match(done.body, /href="https:\/\/app\.acme\.test\/done\?email=alice%40acme\.test"/);
      const login = await h.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'password',
          client_id: 'acme-web',
          client_secret: 'web-secret-0123456789-abcdefghij',
          username: ALICE.email,
          password: 'Ticket-Horse-Battery-5',
        }).toString(),
      });
      assert.equal(login.statusCode, 200, login.body);
      // Used once.
      const again = await resetThroughPage(h, res.data.ticket, 'Other-Horse-Battery-6').catch(
        () => undefined,
      );
      assert.notEqual(again?.statusCode, 200);

      const byEmail = await h.management.tickets.changePassword({
        email: ALICE.email,
        connection_id: 'con_default',
      });
      assert.match(byEmail.data.ticket, /\/lo\/reset\?ticket=/);
    });

    it('marks the email verified after a ticket reset only with mark_email_as_verified', async () => {
      for (const [email, mark] of [
        ['mark.no@acme.test', undefined],
        ['mark.yes@acme.test', true],
      ] as const) {
        const u = await h.management.users.create({
          connection: DB,
          email,
          password: 'Mark-Horse-Battery-9',
        });
        const t = await h.management.tickets.changePassword({
          user_id: u.data.user_id,
          ...(mark ? { mark_email_as_verified: true } : {}),
        });
        const done = await resetThroughPage(h, t.data.ticket, 'Mark-Horse-Battery-10');
        assert.equal(done.statusCode, 200, done.body);
        assert.equal((await findUserById(h.rt.store.db, u.data.user_id))?.email_verified, mark === true);
      }
    });

    it('creates a user with verify_email: the email goes out, its link verifies the address', async () => {
      const created = await h.management.users.create({
        connection: DB,
        email: 'vera@acme.test',
        password: 'Vera-Horse-Battery-9',
        verify_email: true,
      });
      assert.equal(created.data.email_verified, false);
      const mail = await mailTo(h, 'vera@acme.test');
      assert.ok(mail, 'a verification email in the outbox');
      const path = VERIFY_LINK.exec(mail.body)![1]!;
      const page = await h.app.inject({ method: 'GET', url: `/${path}` });
      assert.equal(page.statusCode, 200, page.body);
      assert.equal((await findUserById(h.rt.store.db, created.data.user_id))?.email_verified, true);
    });

    it('sends the verification email to a changed address with verify_email on PATCH', async () => {
      const u = await h.management.users.create({
        connection: DB,
        email: 'pat@acme.test',
        password: 'Pat-Horse-Battery-9',
      });
      await h.management.users.update(
        { id: u.data.user_id },
        { email: 'pat.new@acme.test', verify_email: true },
      );
      const mail = await mailTo(h, 'pat.new@acme.test');
      assert.ok(mail && VERIFY_LINK.test(mail.body));
      assert.equal(await mailTo(h, 'pat@acme.test'), undefined);
    });

    it('issues an email-verification ticket, and the verification-email job sends one', async () => {
      const u = await h.management.users.create({
        connection: DB,
        email: 'tom@acme.test',
        password: 'Tom-Horse-Battery-9',
      });
      assert.equal(await mailTo(h, 'tom@acme.test'), undefined, 'no email without verify_email');
      const job = await h.management.jobs.verifyEmail({ user_id: u.data.user_id });
      assert.equal(job.status, 201);
      assert.equal(job.data.type, 'verification_email');
      assert.equal(job.data.status, 'completed');
      assert.match(job.data.id, /^job_[0-9a-f]{16}$/);
      assert.match(String(job.data.created_at), /^\d{4}-\d\d-\d\dT/);
      assert.ok(VERIFY_LINK.test((await mailTo(h, 'tom@acme.test'))!.body));
      assert.equal((await h.management.jobs.get({ id: job.data.id })).data.status, 'completed');

      const ticket = await h.management.tickets.verifyEmail({
        user_id: u.data.user_id,
        result_url: 'https://app.acme.test/verified',
      });
      assert.equal(ticket.status, 201);
      const path = ticket.data.ticket.slice(h.issuer.length - 1);
      const page = await h.app.inject({ method: 'GET', url: path });
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /href="https:\/\/app\.acme\.test\/verified"/);
      assert.equal((await findUserById(h.rt.store.db, u.data.user_id))?.email_verified, true);
    });

    it('imports users in the background from a multipart upload; status, summary and errors', async () => {
      const file = new Blob([readFileSync(FIXTURE)], { type: 'application/json' });
      const res = await h.management.jobs.importUsers({
        users: file,
        connection_id: 'con_default',
        external_id: 'batch-7',
      });
      assert.equal(res.status, 202);
      const { id, created_at, ...rest } = res.data as unknown as Record<string, unknown>;
      assert.match(String(id), /^job_[0-9a-f]{16}$/);
      assert.match(String(created_at), /^\d{4}-/);
      assert.deepEqual(rest, {
        type: 'users_import',
        status: 'pending',
        connection_id: 'con_default',
        connection: DB,
        upsert: false,
        external_id: 'batch-7',
      });
      const { status, summary, errors } = await finishedImport(h, String(id));
      assert.equal(status, 'completed');
      assert.deepEqual(summary, { failed: 7, updated: 0, inserted: 6, total: 13 });
      assert.equal(errors.length, 7);
      assert.deepEqual(errors[0], {
        user: { email: 'not-an-email' },
        errors: [{ code: 'INVALID_FORMAT', message: 'not an email address', path: 'email' }],
      });
      assert.deepEqual(errors[3]!.errors, [
        {
          code: 'DUPLICATED_USER',
          message: '"ANN@example.com" is already used by [0] in the file',
          path: 'email',
        },
      ]);
      for (const e of errors) {
        assert.equal(e.user.password_hash, undefined);
        assert.equal(e.user.custom_password_hash, undefined);
        assert.equal(e.user.password, undefined);
      }
      assert.equal(
        (await findUserById(h.rt.store.db, 'auth0|5f7c8ec7c33c6c004bbafe82'))?.email,
        'ann@example.com',
      );
      const sapi = await listEvents(h.rt.store.db, { type: 'sapi', limit: 20 });
      assert.ok(sapi.some((e) => e.description === 'Import users' && e.client_id === 'mgmt-m2m'));
    });

    it('an upsert import updates the users that exist and counts them in the summary', async () => {
      const file = new Blob(
        [
          JSON.stringify([
            { email: 'ann@example.com', app_metadata: { plan: 'enterprise' } },
            { email: 'ann@example.com', user_id: 'ann-2' },
            { email: 'upserted-new@example.com', given_name: 'Neo' },
            { email: 'ben@example.com', user_id: 'not-ben' },
          ]),
        ],
        { type: 'application/json' },
      );
      const res = await h.management.jobs.importUsers({
        users: file,
        connection_id: 'con_default',
        upsert: true,
      });
      assert.equal(res.status, 202);
      assert.equal((res.data as unknown as { upsert: boolean }).upsert, true);
      const id = String((res.data as unknown as { id: string }).id);
      const { status, summary, errors } = await finishedImport(h, id);
      assert.equal(status, 'completed');
      assert.deepEqual(summary, { failed: 2, updated: 1, inserted: 1, total: 4 });
      assert.deepEqual(errors, [
        {
          user: { email: 'ann@example.com', user_id: 'ann-2' },
          errors: [
            {
              code: 'DUPLICATED_USER',
              message: '"ann@example.com" is already used by [0] in the file',
              path: 'email',
            },
          ],
        },
        {
          user: { email: 'ben@example.com', user_id: 'not-ben' },
          errors: [
            {
              code: 'CONFLICT',
              message:
                '"auth0|not-ben" cannot replace the user_id of the user with email "ben@example.com" (auth0|ben-legacy-1): an upsert never changes a user_id',
              path: 'user_id',
            },
          ],
        },
      ]);
      const ann = await findUserById(h.rt.store.db, 'auth0|5f7c8ec7c33c6c004bbafe82');
      assert.deepEqual(ann?.app_metadata, { plan: 'enterprise' });
      assert.deepEqual(ann?.user_metadata, { lang: 'fr' }); // not in the record: kept
    });

    it('reads the logs: q, paging with totals, checkpoints, one event', async () => {
      const all = await h.management.logs.getAll({
        q: 'type:sapi AND client_id:"mgmt-m2m"',
        include_totals: true,
        per_page: 2,
      });
      const paged = all.data as unknown as {
        start: number;
        limit: number;
        length: number;
        total: number;
        logs: Record<string, unknown>[];
      };
      assert.equal(paged.start, 0);
      assert.equal(paged.limit, 2);
      assert.equal(paged.length, 2);
      assert.ok(paged.total >= 8);
      const newest = paged.logs[0]!;
      assert.deepEqual(Object.keys(newest).sort(), [
        'client_id',
        'client_name',
        'connection',
        'connection_id',
        'date',
        'description',
        'details',
        'ip',
        'log_id',
        'type',
        'user_agent',
        'user_id',
        'user_name',
      ]);
      assert.equal(newest.type, 'sapi');
      const one = await h.management.logs.get({ id: String(newest.log_id) });
      assert.deepEqual(one.data, newest);

      const oldest = (await h.management.logs.getAll({ sort: 'date:1', per_page: 1 })).data as unknown as {
        log_id: string;
      }[];
      const after = (await h.management.logs.getAll({ from: oldest[0]!.log_id, take: 3 }))
        .data as unknown as {
        log_id: string;
      }[];
      assert.equal(after.length, 3);
      assert.ok(!after.some((e) => e.log_id === oldest[0]!.log_id));
      const either = (await h.management.logs.getAll({ q: 'type:ublkdu OR type:scp', per_page: 100 }))
        .data as unknown as { type: string }[];
      assert.deepEqual([...new Set(either.map((e) => e.type))].sort(), ['scp', 'ublkdu']);
      await assert.rejects(h.management.logs.get({ id: 'evt_nope' }), (err: unknown) => {
        assert.ok(err instanceof ManagementApiError);
        assert.equal(err.statusCode, 404);
        return true;
      });
    });
  });
}
