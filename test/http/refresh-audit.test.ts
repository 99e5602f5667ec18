import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { listEvents } from '../../src/store/repos/events.js';
import { findRefreshTokenByHash } from '../../src/store/repos/refresh-tokens.js';
import { hashToken } from '../../src/tokens/refresh-tokens.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { addRefreshClient, refresh, refreshToken } from '../rules/helpers.js';
import { memoryLogger } from '../helpers/memory-log.js';

/** Makes the database refuse every `sertft` event (a trigger on SQLite, a CHECK on PostgreSQL). */
async function refuseSuccessEvents(t: TestApp, on: boolean): Promise<void> {
  const db = t.rt.store.db;
  if (t.rt.store.dialect === 'postgres') {
    if (on)
      await sql`ALTER TABLE events ADD CONSTRAINT no_sertft CHECK (type <> 'sertft') NOT VALID`.execute(db);
    else await sql`ALTER TABLE events DROP CONSTRAINT no_sertft`.execute(db);
  } else if (on) {
    await sql`CREATE TRIGGER no_sertft BEFORE INSERT ON events WHEN NEW.type = 'sertft'
      BEGIN SELECT RAISE(ABORT, 'sertft refused'); END`.execute(db);
  } else {
    await sql`DROP TRIGGER no_sertft`.execute(db);
  }
}

for (const kind of storeKinds) {
  describe(`refresh: the rotation and its audit event are one (${kind.name})`, () => {
    let t: TestApp;
    const log = memoryLogger();
    before(async () => {
      t = await startTestApp(kind);
      t.rt.log = log.logger;
      await addRefreshClient(t);
    });
    after(() => t.close());

    it('when the audit write fails: 503 and Retry-After, the token stays unused, no successor is written', async () => {
      const token = await refreshToken(t);
      const before = (await findRefreshTokenByHash(t.rt.store.db, hashToken(token)))!;
      const tokens = async () =>
        (
          await t.rt.store.db
            .selectFrom('refresh_tokens')
            .select('id')
            .where('family_id', '=', before.family_id)
            .execute()
        ).length;
      await refuseSuccessEvents(t, true);
      const refused = await refresh(t, token);
      await refuseSuccessEvents(t, false);
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.headers['retry-after'], '30');
      assert.deepEqual(refused.json(), {
        error: 'temporarily_unavailable',
        error_description: 'The service is temporarily unavailable. Try again later.',
      });
      assert.match(log.text(), /could not record audit event sertft/);
      assert.deepEqual(await findRefreshTokenByHash(t.rt.store.db, hashToken(token)), before);
      assert.equal(await tokens(), 1);
      assert.equal((await listEvents(t.rt.store.db, { type: 'sertft' })).length, 0);

      // The same token still rotates, once, with its event.
      const ok = await refresh(t, token);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(await tokens(), 2);
      const [e] = await listEvents(t.rt.store.db, { type: 'sertft' });
      assert.equal(e?.client_id, 'refresher');
      assert.equal(e?.user_id, before.user_id);
    });
  });
}
