import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { LoginTiming } from '../../src/identity/login-timing.js';
import { OUR_PROFILE, hashProfile, verifyPassword } from '../../src/identity/passwords.js';
import { hashProfilesOf } from '../../src/store/repos/users.js';
import { ALICE, SECRET, addUser, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

/*
 * identity.verify over HTTP: every failure path goes through the connection's
 * timing (the slowest profile's dummy for an unknown user, padding for a
 * faster hash), and successes are not padded. A fake clock pretends the
 * imported bcrypt hash (cost 4 here, to keep the test fast) is the slow one;
 * the verifications themselves are real.
 */

const COST: Record<string, number> = { [OUR_PROFILE]: 10, bcrypt$04: 100 };
const IMPORTED = { email: 'imported@acme.test', password: 'imported password' };
const BLOCKED = { email: 'blocked@acme.test', password: 'blocked password' };

for (const kind of storeKinds) {
  describe(`identity.verify: failures take the slowest hash's time (${kind.name})`, () => {
    let t: TestApp;
    let importedHash: string;
    const log = { verified: [] as (string | null)[], slept: [] as number[] };
    let clock = 0;

    before(async () => {
      t = await startTestApp(kind);
      importedHash = await bcryptHash(IMPORTED.password, 4);
      await addUser(t.rt, {
        user_id: 'auth0|imported',
        connection_id: 'con_default',
        email: IMPORTED.email,
        hash: importedHash,
      });
      await addUser(t.rt, {
        user_id: 'auth0|blocked',
        connection_id: 'con_default',
        email: BLOCKED.email,
        password: BLOCKED.password,
        blocked: true,
      });
      await addUser(t.rt, { user_id: 'auth0|nopw', connection_id: 'con_default', email: 'nopw@acme.test' });
      t.rt.loginTiming = new LoginTiming({
        profilesOf: (id) => hashProfilesOf(t.rt.store.db, id),
        clock: () => clock,
        sleep: async (ms) => {
          log.slept.push(ms);
          clock += ms;
        },
        verify: async (stored, password) => {
          const profile = hashProfile(stored);
          log.verified.push(stored === importedHash ? 'imported' : profile);
          clock += profile ? (COST[profile] ?? 0) : 0;
          return verifyPassword(stored, password);
        },
      });
      await t.rt.loginTiming.prime(['con_default']);
    });
    after(() => t.close());
    beforeEach(() => {
      log.verified.length = 0;
      log.slept.length = 0;
    });

    const login = (username: string, password: string, extra: Record<string, string> = {}) =>
      tokenRequest(t.app, {
        grant_type: 'password',
        username,
        password,
        client_id: 'acme-web',
        client_secret: SECRET,
        ...extra,
      });

    const wrong = async (username: string) => {
      const res = await login(username, 'not the password');
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error, 'invalid_grant');
    };

    it('knows the connection holds bcrypt (cost 4) besides argon2id', async () => {
      assert.deepEqual(await hashProfilesOf(t.rt.store.db, 'con_default'), [OUR_PROFILE, 'bcrypt$04'].sort());
    });

    it('an unknown user verifies a dummy bcrypt hash, not the argon2id one', async () => {
      await wrong('nobody@acme.test');
      assert.deepEqual(log.verified, ['bcrypt$04']);
      assert.deepEqual(log.slept, []);
    });

    it('a user without a password does the same', async () => {
      await wrong('nopw@acme.test');
      assert.deepEqual(log.verified, ['bcrypt$04']);
    });

    it('an argon2id user with a wrong password waits for the rest of the bcrypt cost', async () => {
      await wrong(ALICE.email);
      assert.deepEqual(log.verified, [OUR_PROFILE]);
      assert.deepEqual(log.slept, [90]);
    });

    it('a blocked user with a wrong password: the same answer and the same wait', async () => {
      await wrong(BLOCKED.email);
      assert.deepEqual(log.verified, [OUR_PROFILE]);
      assert.deepEqual(log.slept, [90]);
    });

    it('the imported user with a wrong password verifies its own hash and needs no wait', async () => {
      await wrong(IMPORTED.email);
      assert.deepEqual(log.verified, ['imported']);
      assert.deepEqual(log.slept, []);
    });

    it('right passwords are not padded (blocked or not)', async () => {
      assert.equal((await login(ALICE.email, ALICE.password)).statusCode, 200);
      const blocked = await login(BLOCKED.email, BLOCKED.password);
      assert.equal(blocked.statusCode, 401);
      assert.equal(blocked.json().error, 'unauthorized');
      assert.deepEqual(log.slept, []);
    });

    it('a realm that does not exist is refused before any user is looked up', async () => {
      const res = await login(ALICE.email, 'not the password', { realm: 'no-such-directory' });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error, 'invalid_request');
      assert.deepEqual(log.verified, []);
    });

    it('once the imported user logged in (re-hashed to argon2id), the connection holds argon2id only', async () => {
      assert.equal((await login(IMPORTED.email, IMPORTED.password)).statusCode, 200);
      assert.deepEqual(await hashProfilesOf(t.rt.store.db, 'con_default'), [OUR_PROFILE]);
    });
  });
}
