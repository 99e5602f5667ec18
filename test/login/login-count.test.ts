import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { listEvents } from '../../src/store/repos/events.js';
import { putSetting } from '../../src/store/repos/settings.js';
import { ALICE, startTestApp, type TestApp, tokenRequest, ALICE_LOGIN } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { passwordLogin, setUpMfa } from '../mfa/helpers.js';

const alice = ALICE_LOGIN;

/** The user agent whose audit events the test database refuses (a trigger). */
const REFUSED = 'refuse-audit/1.0';

/** Makes the database refuse every audit event of a request sent with the REFUSED user agent. */
async function refuseAuditEvents(t: TestApp): Promise<void> {
  const db = t.rt.store.db;
  if (t.rt.store.dialect === 'sqlite') {
    await sql
      .raw(
        `CREATE TRIGGER refuse_audit BEFORE INSERT ON events WHEN NEW.user_agent = '${REFUSED}'
         BEGIN SELECT RAISE(ABORT, 'audit refused'); END`,
      )
      .execute(db);
    return;
  }
  await sql
    .raw(
      `CREATE FUNCTION refuse_audit() RETURNS trigger AS $$
       BEGIN IF NEW.user_agent = '${REFUSED}' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END
       $$ LANGUAGE plpgsql`,
    )
    .execute(db);
  await sql
    .raw('CREATE TRIGGER refuse_audit BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_audit()')
    .execute(db);
}

for (const kind of storeKinds) {
  describe(`a login counted on its user (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await refuseAuditEvents(t);
    });
    after(() => t.close());
    beforeEach(async () => {
      await putSetting(t.rt.store.db, 'rules', []);
      t.clock.advance(60_000);
    });

    const counted = async () => {
      const row = await t.rt.store.db
        .selectFrom('users')
        .select(['logins_count', 'last_login'])
        .where('id', '=', ALICE.id)
        .executeTakeFirstOrThrow();
      return {
        count: Number(row.logins_count),
        last: row.last_login === null ? null : Number(row.last_login),
      };
    };
    const latestType = async () => (await listEvents(t.rt.store.db, { limit: 1 }))[0]!.type;

    it('a success counts once, at the time of the login, with its sepft event', async () => {
      const before = await counted();
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(await counted(), { count: before.count + 1, last: t.clock.t });
      assert.equal(await latestType(), 'sepft');
    });

    it('a wrong password does not count', async () => {
      const before = await counted();
      const res = await tokenRequest(t.app, { ...alice, password: 'wrong' });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(await counted(), before);
      assert.equal(await latestType(), 'fp');
    });

    it('a login refused after the password check (a rule) still counts, with its fepft event', async () => {
      await putSetting(t.rt.store.db, 'rules', [
        {
          name: 'deny',
          enabled: true,
          order: 1,
          script: `function (user, context, callback) { callback(new UnauthorizedError('no')); }`,
        },
      ]);
      const before = await counted();
      const res = await tokenRequest(t.app, alice);
      assert.equal(res.statusCode, 401);
      assert.deepEqual(await counted(), { count: before.count + 1, last: t.clock.t });
      assert.equal(await latestType(), 'fepft');
    });

    it('a success whose audit event cannot be written is not counted either (503)', async () => {
      const before = await counted();
      const events = (await listEvents(t.rt.store.db, { limit: 1000 })).length;
      const res = await tokenRequest(t.app, alice, { 'user-agent': REFUSED });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error, 'temporarily_unavailable');
      assert.deepEqual(await counted(), before);
      assert.equal((await listEvents(t.rt.store.db, { limit: 1000 })).length, events);
    });

    it('a login paused for MFA counts at the pause, with its mfar event', async () => {
      await setUpMfa(t);
      const before = await counted();
      await passwordLogin(t);
      assert.deepEqual(await counted(), { count: before.count + 1, last: t.clock.t });
      assert.equal(await latestType(), 'mfar');
    });
  });
}
