import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManagementApiError } from 'auth0';
import { ALICE } from '../helpers/app.js';
import { type ManagementHarness, startManagement } from '../helpers/management.js';
import { storeKinds } from '../helpers/stores.js';

for (const kind of storeKinds) {
  describe(`Management API users through the auth0 SDK's ManagementClient, over HTTPS (${kind.name})`, () => {
    let h: ManagementHarness;
    before(async () => {
      h = await startManagement(kind);
    });
    after(() => h.close());

    it('creates, reads, updates and deletes a user', async () => {
      const created = await h.management.users.create({
        connection: 'Username-Password-Authentication',
        email: 'carol@acme.test',
        password: 'Carol-Horse-Battery-9',
        given_name: 'Carol',
        app_metadata: { plan: 'gold', region: 'eu' },
        user_metadata: { theme: 'dark' },
      });
      assert.equal(created.status, 201);
      const carol = created.data;
      assert.match(carol.user_id, /^auth0\|[0-9a-f]{24}$/);
      assert.equal(carol.email, 'carol@acme.test');
      assert.equal(carol.email_verified, false);
      assert.equal(carol.blocked, false);
      assert.equal(carol.logins_count, 0);
      assert.deepEqual(carol.identities, [
        {
          connection: 'Username-Password-Authentication',
          user_id: carol.user_id.slice('auth0|'.length),
          provider: 'auth0',
          isSocial: false,
        },
      ]);
      assert.equal((carol as Record<string, unknown>).password, undefined);

      const got = await h.management.users.get({ id: carol.user_id });
      assert.equal(got.data.email, 'carol@acme.test');
      assert.equal(got.data.given_name, 'Carol');

      const updated = await h.management.users.update(
        { id: carol.user_id },
        { blocked: true, app_metadata: { plan: 'platinum', region: null }, user_metadata: { lang: 'fr' } },
      );
      assert.equal(updated.data.blocked, true);
      assert.deepEqual(updated.data.app_metadata, { plan: 'platinum' });
      assert.deepEqual(updated.data.user_metadata, { theme: 'dark', lang: 'fr' });

      const deleted = await h.management.users.delete({ id: carol.user_id });
      assert.equal(deleted.status, 204);
      await assert.rejects(h.management.users.get({ id: carol.user_id }), (err: unknown) => {
        assert.ok(err instanceof ManagementApiError);
        assert.equal(err.statusCode, 404);
        assert.equal(err.errorCode, 'inexistent_user');
        assert.equal(err.message, 'The user does not exist.');
        return true;
      });
    });

    it('changes a password, and the user logs in with the new one', async () => {
      await h.management.users.update({ id: ALICE.id }, { password: 'A-Brand-New-Horse-7' });
      const res = await h.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'password',
          client_id: 'acme-web',
          client_secret: 'web-secret-0123456789-abcdefghij',
          username: ALICE.email,
          password: 'A-Brand-New-Horse-7',
        }).toString(),
      });
      assert.equal(res.statusCode, 200, res.body);
    });

    it('answers a colliding email with 409 through the SDK', async () => {
      await assert.rejects(
        h.management.users.create({
          connection: 'Username-Password-Authentication',
          email: ALICE.email,
          password: 'Yet-Another-Horse-8',
        }),
        (err: unknown) => {
          assert.ok(err instanceof ManagementApiError);
          assert.equal(err.statusCode, 409);
          assert.equal(err.message, 'The user already exists.');
          return true;
        },
      );
    });

    it('answers raw HTTPS calls with a token of the harness (h.fetch, h.token)', async () => {
      const doc = await h.fetch(`${h.audience}openapi.json`);
      assert.equal(doc.status, 200);
      const reader = await h.token(['read:users']);
      const res = await h.fetch(`${h.audience}users/${encodeURIComponent(ALICE.id)}`, {
        headers: { authorization: `Bearer ${reader}` },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-ratelimit-limit'), '50');
      assert.equal(((await res.json()) as { email: string }).email, ALICE.email);
      const denied = await h.fetch(`${h.audience}users/${encodeURIComponent(ALICE.id)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${reader}` },
      });
      assert.equal(denied.status, 403);
    });

    it('lists users with include_totals through the SDK', async () => {
      const res = await h.management.users.getAll({ include_totals: true, per_page: 10, page: 0 });
      assert.equal(res.data.start, 0);
      assert.equal(res.data.limit, 10);
      assert.ok(res.data.users.some((u) => u.user_id === ALICE.id));
      assert.equal(res.data.total, res.data.users.length);
    });
  });
}
