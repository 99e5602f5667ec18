import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManagementApiError } from 'auth0';
import { listEvents } from '../../src/store/repos/events.js';
import { insertAuthenticator, listAuthenticators } from '../../src/store/repos/mfa-authenticators.js';
import { getSetting } from '../../src/store/repos/settings.js';
import { ALICE, SECRET } from '../helpers/app.js';
import { type ManagementHarness, startManagement, USER_SCOPES } from '../helpers/management.js';
import { storeKinds } from '../helpers/stores.js';

const MFA_SCOPES = [
  ...USER_SCOPES,
  'read:authentication_methods',
  'delete:guardian_enrollments',
  'read:guardian_factors',
  'update:guardian_factors',
  'read:mfa_policies',
  'update:mfa_policies',
];

const refusal = (status: number, errorCode: string, message: string) => (err: unknown) => {
  assert.ok(err instanceof ManagementApiError, String(err));
  assert.equal(err.statusCode, status);
  assert.equal(err.errorCode, errorCode);
  assert.equal(err.message, message);
  return true;
};

for (const kind of storeKinds) {
  describe(`Management API MFA and Guardian through the SDK (${kind.name})`, () => {
    let h: ManagementHarness;
    let token: string;
    const call = (method: string, url: string, payload?: unknown, bearer = token) => {
      h.clock.advance(100);
      return h.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    };
    const seed = async () => {
      const base = { user_id: ALICE.id, secret_enc: null, code_hash: null, last_step: 0 };
      const t = h.rt.now();
      await insertAuthenticator(h.rt.store.db, {
        ...base,
        id: 'totp|dev_a1',
        type: 'otp',
        name: null,
        active: 1,
        created_at: t,
      });
      await insertAuthenticator(h.rt.store.db, {
        ...base,
        id: 'sms|dev_a2',
        type: 'sms',
        name: '+15550100',
        active: 0,
        created_at: t + 1,
      });
      await insertAuthenticator(h.rt.store.db, {
        ...base,
        id: 'recovery-code|dev_a3',
        type: 'recovery-code',
        name: null,
        active: 1,
        created_at: t + 2,
      });
    };
    before(async () => {
      h = await startManagement(kind, { scopes: MFA_SCOPES });
      token = await h.token();
    });
    after(() => h.close());

    it("lists a user's enrollments and authentication methods, deletes one, then all", async () => {
      await seed();
      const t = new Date(h.rt.now()).toISOString();
      const t1 = new Date(h.rt.now() + 1).toISOString();
      const enrollments = await h.management.users.getEnrollments({ id: ALICE.id });
      assert.deepEqual(enrollments.data, [
        {
          id: 'totp|dev_a1',
          status: 'confirmed',
          type: 'authenticator',
          auth_method: 'authenticator',
          enrolled_at: t,
        },
        {
          id: 'sms|dev_a2',
          status: 'pending',
          type: 'sms',
          auth_method: 'sms',
          phone_number: '+15550100',
          enrolled_at: t1,
        },
      ]);
      const methods = await h.management.users.getAuthenticationMethods({ id: ALICE.id });
      assert.deepEqual(
        methods.data.map((m) => [m.id, m.type, m.confirmed]),
        [
          ['totp|dev_a1', 'totp', true],
          ['sms|dev_a2', 'phone', false],
          ['recovery-code|dev_a3', 'recovery-code', true],
        ],
      );
      assert.equal(methods.data[1]?.phone_number, '+15550100');

      const del = await h.management.guardian.deleteGuardianEnrollment({ id: 'sms|dev_a2' });
      assert.equal(del.status, 204);
      await assert.rejects(
        h.management.guardian.deleteGuardianEnrollment({ id: 'sms|dev_a2' }),
        refusal(404, 'inexistent_enrollment', 'Enrollment not found'),
      );
      const all = await h.management.users.deleteAllAuthenticators({ id: ALICE.id });
      assert.equal(all.status, 204);
      assert.deepEqual(await listAuthenticators(h.rt.store.db, ALICE.id), []);
      const [sapi] = await listEvents(h.rt.store.db, { type: 'sapi', limit: 1 });
      assert.equal(sapi?.description, 'Delete all authenticators of a User');
      assert.equal(sapi?.user_id, ALICE.id);
      const [fapi] = await listEvents(h.rt.store.db, { type: 'fapi', limit: 1 });
      assert.equal(fapi?.description, 'Delete a Guardian enrollment');
    });

    it('invalidates remembered browsers (a no-op) and answers 404 for an unknown user', async () => {
      const res = await h.management.users.invalidateRememberBrowser({ id: ALICE.id });
      assert.equal(res.status, 204);
      const nobody = { id: 'auth0|nobody' };
      for (const call of [
        () => h.management.users.invalidateRememberBrowser(nobody),
        () => h.management.users.getEnrollments(nobody),
        () => h.management.users.getAuthenticationMethods(nobody),
        () => h.management.users.deleteAllAuthenticators(nobody),
      ])
        await assert.rejects(call(), refusal(404, 'inexistent_user', 'The user does not exist.'));
    });

    it('lists and sets factors and policies in the guardian setting, and logins follow them', async () => {
      const factors = await h.management.guardian.getFactors();
      assert.deepEqual(
        factors.data.map((f) => [f.name, f.enabled]),
        [
          ['push-notification', false],
          ['sms', false],
          ['email', false],
          ['otp', false],
          ['recovery-code', false],
        ],
      );
      const on = await h.management.guardian.updateFactor({ name: 'otp' }, { enabled: true });
      assert.deepEqual(on.data, { enabled: true });
      await h.management.guardian.updateFactor({ name: 'push-notification' }, { enabled: false });
      await assert.rejects(
        h.management.guardian.updateFactor({ name: 'push-notification' }, { enabled: true }),
        refusal(
          400,
          'invalid_body',
          'The push-notification factor is not supported: Tessera offers otp, sms, email and recovery-code.',
        ),
      );
      assert.deepEqual((await h.management.guardian.getPolicies()).data, []);
      const set = await h.management.guardian.updatePolicies(['all-applications']);
      assert.deepEqual(set.data, ['all-applications']);
      assert.deepEqual(await getSetting(h.rt.store.db, 'guardian'), {
        factors: { otp: true },
        policies: ['all-applications'],
      });

      const login = await h.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'password',
          client_id: 'acme-web',
          client_secret: SECRET,
          username: ALICE.email,
          password: ALICE.password,
        }).toString(),
      });
      // MFA is now required on every login (acme-web has no MFA grant, so it is refused outright).
      assert.match(login.json().error_description, /^Multifactor authentication is required/, login.body);

      await h.management.guardian.updatePolicies([]);
      assert.deepEqual((await h.management.guardian.getPolicies()).data, []);
    });

    it('refuses bad factor names and policies with exact answers', async () => {
      let res = await call('PUT', '/api/v2/guardian/factors/duo', { enabled: true });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_uri');
      res = await call('PUT', '/api/v2/guardian/factors/otp', { enabled: 'yes' });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_body');
      res = await call('PUT', '/api/v2/guardian/policies', ['sometimes']);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: res.json().message,
        errorCode: 'invalid_body',
      });
      assert.match(res.json().message, /^Invalid guardian settings: policies\[0\]: /);
      res = await call('PUT', '/api/v2/guardian/policies', { policies: [] });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().errorCode, 'invalid_body');
    });

    it('needs the guardian scopes', async () => {
      const reader = await h.addMachineClient('mfa-reader', ['read:users']);
      const bearer = await h.token(undefined, reader);
      for (const [method, url, scope] of [
        ['GET', '/api/v2/guardian/factors', 'read:guardian_factors'],
        ['PUT', '/api/v2/guardian/factors/otp', 'update:guardian_factors'],
        ['GET', '/api/v2/guardian/policies', 'read:mfa_policies'],
        ['PUT', '/api/v2/guardian/policies', 'update:mfa_policies'],
        ['DELETE', '/api/v2/guardian/enrollments/x', 'delete:guardian_enrollments'],
        [
          'DELETE',
          `/api/v2/users/${encodeURIComponent(ALICE.id)}/authenticators`,
          'delete:guardian_enrollments',
        ],
        [
          'GET',
          `/api/v2/users/${encodeURIComponent(ALICE.id)}/authentication-methods`,
          'read:authentication_methods',
        ],
      ] as const) {
        const res = await call(method, url, method === 'PUT' ? { enabled: true } : undefined, bearer);
        assert.equal(res.statusCode, 403, url);
        assert.deepEqual(res.json(), {
          statusCode: 403,
          error: 'Forbidden',
          message: `Insufficient scope, expected any of: ${scope}`,
          errorCode: 'insufficient_scope',
        });
      }
    });
  });
}
