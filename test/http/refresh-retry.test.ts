import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { errors } from '../../src/errors/index.js';
import { toOAuth } from '../../src/oauth/wire.js';
import { hashToken } from '../../src/tokens/refresh-tokens.js';
import { listEvents } from '../../src/store/repos/events.js';
import { findRefreshTokenByHash } from '../../src/store/repos/refresh-tokens.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { addRefreshClient, refresh, refreshToken, rule, setScripts } from '../rules/helpers.js';

const RULE_FAILED = {
  error: 'access_denied',
  error_description: 'The login was refused because a rule or action failed.',
};
const INVALID = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' };

/** How many tokens the family of `token` holds, and how many of them are still live. */
async function family(t: TestApp, token: string) {
  const row = (await findRefreshTokenByHash(t.rt.store.db, hashToken(token)))!;
  const rows = await t.rt.store.db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('family_id', '=', row.family_id)
    .execute();
  return {
    size: rows.length,
    live: rows.filter((r) => r.revoked_at === null && r.rotated_at === null).length,
  };
}

for (const kind of storeKinds) {
  describe(`refresh: redeemed last, retries are safe (${kind.name})`, () => {
    let t: TestApp;
    let server: Server;
    let base: string;
    let failuresLeft = 0;
    before(async () => {
      t = await startTestApp(kind);
      await addRefreshClient(t);
      // A rule's API that is down (403) for the next `failuresLeft` calls.
      server = createServer((_req, res) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          res.writeHead(403).end('down');
        } else {
          res.setHeader('content-type', 'application/json');
          res.end('{"roles":["reader"]}');
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await t.close();
    });
    beforeEach(() => setScripts(t, {}));

    it('a rule whose API is down once: the refresh fails, the retry with the same token succeeds', async () => {
      const token = await refreshToken(t);
      await setScripts(t, {
        rules: [
          rule(
            'roles',
            `fetch('${base}/roles').then((r) => {
               if (!r.ok) return callback(new Error('roles API answered ' + r.status));
               return r.json().then((b) => {
                 context.accessToken['https://acme.test/roles'] = b.roles;
                 callback(null, user, context);
               });
             }, callback);`,
          ),
        ],
        configs: { TESSERA_ALLOWED_HOSTS: base.replace('http://', '') },
      });
      failuresLeft = 1;
      const failed = await refresh(t, token);
      assert.equal(failed.statusCode, 403);
      assert.deepEqual(failed.json(), RULE_FAILED);
      assert.deepEqual(await family(t, token), { size: 1, live: 1 }, 'the token was not used up');

      const retry = await refresh(t, token);
      assert.equal(retry.statusCode, 200, retry.body);
      assert.deepEqual(decodeJwt(retry.json().access_token)['https://acme.test/roles'], ['reader']);
      const next = retry.json().refresh_token;
      assert.equal((await refresh(t, next)).statusCode, 200, 'the family is alive');
    });

    it('a rule that denies once: 401, then the same token still works', async () => {
      const token = await refreshToken(t);
      await setScripts(t, {
        rules: [rule('deny', `callback(new UnauthorizedError('try again later'));`)],
      });
      const denied = await refresh(t, token);
      assert.equal(denied.statusCode, 401);
      assert.deepEqual(denied.json(), { error: 'unauthorized', error_description: 'try again later' });
      await setScripts(t, {});
      const retry = await refresh(t, token);
      assert.equal(retry.statusCode, 200, retry.body);
      assert.equal((await refresh(t, retry.json().refresh_token)).statusCode, 200);
    });

    it('a rule that throws once: refused, then the same token still works', async () => {
      const token = await refreshToken(t);
      await setScripts(t, { rules: [rule('crash', `throw new Error('boom');`)] });
      const crashed = await refresh(t, token);
      assert.equal(crashed.statusCode, 403);
      assert.deepEqual(crashed.json(), RULE_FAILED);
      await setScripts(t, {});
      const retry = await refresh(t, token);
      assert.equal(retry.statusCode, 200, retry.body);
      assert.deepEqual(await family(t, token), { size: 2, live: 1 });
    });

    it('no key to sign with: the refresh fails, the token is not used up', async () => {
      const token = await refreshToken(t);
      const db = t.rt.store.db;
      await db
        .updateTable('signing_keys')
        .set({ retired_at: t.rt.now() - 1 })
        .execute();
      await t.rt.keys.reload();
      try {
        const failed = await refresh(t, token);
        assert.equal(failed.statusCode, 500);
        assert.deepEqual(failed.json(), toOAuth(errors.serverError())?.body());
      } finally {
        await db.updateTable('signing_keys').set({ retired_at: null }).execute();
        await t.rt.keys.reload();
      }
      assert.deepEqual(await family(t, token), { size: 1, live: 1 });
      assert.equal((await refresh(t, token)).statusCode, 200);
    });

    it('an answer lost on the way: the exact retry gets new tokens bearing the same successor', async () => {
      const token = await refreshToken(t);
      const lost = (await refresh(t, token)).json();
      t.clock.advance(5_000);
      const retry = await refresh(t, token);
      assert.equal(retry.statusCode, 200, retry.body);
      const body = retry.json();
      assert.equal(body.refresh_token, lost.refresh_token);
      assert.notEqual(body.access_token, lost.access_token, 'fresh access token');
      assert.deepEqual(await family(t, token), { size: 2, live: 1 }, 'one rotation, not two');
      const e = (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;
      assert.equal(e.type, 'sertft');
      const next = await refresh(t, body.refresh_token);
      assert.equal(next.statusCode, 200);
      assert.notEqual(next.json().refresh_token, body.refresh_token);
    });

    it('the sealed successor is never stored in the clear and is forgotten once the successor is used', async () => {
      const token = await refreshToken(t);
      const b = (await refresh(t, token)).json().refresh_token;
      const rows = await t.rt.store.db.selectFrom('refresh_tokens').selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(b));
      assert.ok((await findRefreshTokenByHash(t.rt.store.db, hashToken(token)))!.successor_enc);
      await refresh(t, b);
      assert.equal((await findRefreshTokenByHash(t.rt.store.db, hashToken(token)))!.successor_enc, null);
    });

    it('racing requests with one token: one rotation, every request gets the same successor', async () => {
      const token = await refreshToken(t);
      const results = await Promise.all(Array.from({ length: 8 }, () => refresh(t, token)));
      assert.deepEqual(
        results.map((r) => r.statusCode),
        Array(8).fill(200),
      );
      assert.equal(new Set(results.map((r) => r.json().refresh_token)).size, 1);
      assert.deepEqual(await family(t, token), { size: 2, live: 1 });
      assert.equal((await refresh(t, results[0]!.json().refresh_token)).statusCode, 200);
    });

    it('reuse after the retry window revokes the family, as before', async () => {
      const token = await refreshToken(t);
      const b = (await refresh(t, token)).json().refresh_token;
      t.clock.advance(31_000);
      const reuse = await refresh(t, token);
      assert.equal(reuse.statusCode, 403);
      assert.deepEqual(reuse.json(), INVALID);
      const e = (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;
      assert.equal((e.details as { reason: string }).reason, 'reuse_detected');
      assert.deepEqual((await refresh(t, b)).json(), INVALID, 'the family is gone');
      assert.equal((await findRefreshTokenByHash(t.rt.store.db, hashToken(token)))!.successor_enc, null);
    });

    it('reuse once the successor was used is reuse, even within the window', async () => {
      const token = await refreshToken(t);
      const b = (await refresh(t, token)).json().refresh_token;
      const c = (await refresh(t, b)).json().refresh_token;
      assert.deepEqual((await refresh(t, token)).json(), INVALID);
      assert.deepEqual((await refresh(t, c)).json(), INVALID, 'the family is gone');
    });
  });

  describe(`refresh: retry window off (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind, { env: { TESSERA_REFRESH_RETRY_WINDOW: '0' } });
      await addRefreshClient(t);
    });
    after(() => t.close());

    it('TESSERA_REFRESH_RETRY_WINDOW=0: any second use of a rotated token is reuse', async () => {
      const token = await refreshToken(t);
      const b = (await refresh(t, token)).json().refresh_token;
      assert.equal((await findRefreshTokenByHash(t.rt.store.db, hashToken(token)))!.successor_enc, null);
      assert.deepEqual((await refresh(t, token)).json(), INVALID);
      assert.deepEqual((await refresh(t, b)).json(), INVALID);
    });

    it('racing requests: exactly one rotates, the others are reuse and revoke the family', async () => {
      const token = await refreshToken(t);
      const results = await Promise.all(Array.from({ length: 8 }, () => refresh(t, token)));
      const ok = results.filter((r) => r.statusCode === 200);
      assert.equal(ok.length, 1, `statuses: ${results.map((r) => r.statusCode)}`);
      for (const r of results.filter((r) => r.statusCode !== 200)) assert.deepEqual(r.json(), INVALID);
      assert.deepEqual((await refresh(t, ok[0]!.json().refresh_token)).json(), INVALID);
    });
  });
}
