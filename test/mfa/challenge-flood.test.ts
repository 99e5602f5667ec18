import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertAuthenticator } from '../../src/store/repos/mfa-authenticators.js';
import { readOutbox } from '../../src/notify/outbox.js';
import { ALICE, addUser, startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { challenge, grant, passwordLogin, setUpMfa } from './helpers.js';

const RITA = 'rita@acme.test';
const WAIT = {
  error: 'too_many_requests',
  error_description: 'A code was sent a moment ago: wait before asking for another one.',
};
const SPENT = {
  error: 'too_many_requests',
  error_description: 'Too many codes were sent for this login: log in again to get a new one.',
};

const outbox = async (t: TestApp) =>
  (await readOutbox(t.rt.store, t.rt.config.secret, { limit: 100, recipient: RITA })).map((m) => m.id);
const sent = async (t: TestApp) => (await outbox(t)).length;

/** /mfa/challenge sends at most one SMS or email per user every 30 s, and five per mfa_token. */
for (const kind of storeKinds) {
  describe(`MFA challenge flood (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await setUpMfa(t);
      await addUser(t.rt, {
        user_id: 'auth0|rita',
        connection_id: 'con_default',
        email: RITA,
        password: ALICE.password,
      });
      await insertAuthenticator(t.rt.store.db, {
        id: 'email|dev_rita',
        user_id: 'auth0|rita',
        type: 'email',
        name: RITA,
        secret_enc: null,
        code_hash: null,
        active: 1,
        last_step: 0,
        created_at: t.rt.now(),
      });
    });
    after(() => t.close());

    it('refuses a second send within 30 s, sends again after, and stops at five per mfa_token', async () => {
      const { mfa_token } = await passwordLogin(t, {}, RITA);
      const first = await challenge(t, { mfa_token, challenge_type: 'oob' });
      assert.equal(first.statusCode, 200, first.body);
      t.clock.advance(10_000);
      const again = await challenge(t, { mfa_token, challenge_type: 'oob' });
      assert.equal(again.statusCode, 429);
      assert.deepEqual(again.json(), WAIT);
      assert.equal(again.headers['retry-after'], '20');
      assert.equal(await sent(t), 1);

      for (let i = 2; i <= 5; i++) {
        t.clock.advance(30_000);
        const res = await challenge(t, { mfa_token, challenge_type: 'oob' });
        assert.equal(res.statusCode, 200, `send ${i}: ${res.body}`);
      }
      assert.equal(await sent(t), 5);
      t.clock.advance(30_000);
      const sixth = await challenge(t, { mfa_token, challenge_type: 'oob' });
      assert.equal(sixth.statusCode, 429);
      assert.deepEqual(sixth.json(), SPENT);
      assert.equal(sixth.headers['retry-after'], '30');
      assert.equal(await sent(t), 5);
    });

    it('counts per user: another mfa_token within 30 s is refused too', async () => {
      t.clock.advance(60_000);
      const a = await passwordLogin(t, {}, RITA);
      const b = await passwordLogin(t, {}, RITA);
      assert.equal((await challenge(t, { mfa_token: a.mfa_token, challenge_type: 'oob' })).statusCode, 200);
      t.clock.advance(29_000);
      const other = await challenge(t, { mfa_token: b.mfa_token, challenge_type: 'oob' });
      assert.equal(other.statusCode, 429);
      assert.deepEqual(other.json(), WAIT);
      assert.equal(other.headers['retry-after'], '1');
      t.clock.advance(1_000);
      assert.equal((await challenge(t, { mfa_token: b.mfa_token, challenge_type: 'oob' })).statusCode, 200);
    });

    it('lifts the wait once the code sent was used', async () => {
      t.clock.advance(60_000);
      const a = await passwordLogin(t, {}, RITA);
      const ch = await challenge(t, { mfa_token: a.mfa_token, challenge_type: 'oob' });
      assert.equal(ch.statusCode, 200, ch.body);
      const [mail] = await readOutbox(t.rt.store, t.rt.config.secret, { limit: 1, recipient: RITA });
      const code = /verification code is (\d{6})/.exec(mail!.body)![1]!;
      const done = await grant(t, 'oob', {
        mfa_token: a.mfa_token,
        oob_code: ch.json().oob_code,
        binding_code: code,
      });
      assert.equal(done.statusCode, 200, done.body);
      const b = await passwordLogin(t, {}, RITA);
      assert.equal((await challenge(t, { mfa_token: b.mfa_token, challenge_type: 'oob' })).statusCode, 200);
    });

    it('lets exactly one of racing challenges send', async () => {
      t.clock.advance(60_000);
      // Expired codes leave the outbox as new ones arrive: count the messages that are new.
      const before = new Set(await outbox(t));
      const logins = await Promise.all([1, 2, 3, 4].map(() => passwordLogin(t, {}, RITA)));
      const results = await Promise.all(
        logins.map((l) => challenge(t, { mfa_token: l.mfa_token, challenge_type: 'oob' })),
      );
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 429, 429, 429]);
      assert.equal((await outbox(t)).filter((id) => !before.has(id)).length, 1);
    });
  });
}
