import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { LoginTiming } from '../../src/identity/login-timing.js';
import { OUR_PROFILE, dummyHashFor, hashProfile } from '../../src/identity/passwords.js';
import * as m0010 from '../../src/store/migrations/0010-hash-profile.js';
import { hashProfilesOf } from '../../src/store/repos/users.js';
import { storeKinds } from '../helpers/stores.js';

/*
 * The mechanism, on a fake clock: verifying costs what the fake says for the
 * hash's profile, sleeping moves the clock. No real time is measured.
 */

const ARGON = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g';
const BCRYPT10 = `$2b$10$${'a'.repeat(53)}`;
const BCRYPT12 = `$2a$12$${'b'.repeat(53)}`;
const COST: Record<string, number> = { [OUR_PROFILE]: 10, bcrypt$10: 55, bcrypt$12: 220 };
const RIGHT = 'right password';

function fake(profilesByConnection: Record<string, string[]>) {
  const log = { verified: [] as string[], slept: [] as number[], reads: 0 };
  let t = 1_000;
  const timing = new LoginTiming({
    clock: () => t,
    sleep: async (ms) => {
      log.slept.push(ms);
      t += ms;
    },
    makeDummy: async (profile) => {
      if (profile === 'bcrypt$99') throw new Error('cost out of range');
      return `dummy:${profile}`;
    },
    verify: async (stored, password) => {
      const profile = stored.startsWith('dummy:') ? stored.slice(6) : hashProfile(stored);
      log.verified.push(stored);
      t += profile ? (COST[profile] ?? 0) : 0;
      const ok = !stored.startsWith('dummy:') && profile !== null && password === RIGHT;
      return { ok, needsRehash: false };
    },
    profilesOf: async (id) => {
      log.reads++;
      return profilesByConnection[id] ?? [];
    },
  });
  return {
    timing,
    log,
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Runs one check and answers how long it took on the fake clock. */
async function timed(f: ReturnType<typeof fake>, conn: string, stored: string | null, password: string) {
  const start = f.now();
  const check = f.timing.begin(conn);
  const result = await check.verify(stored, password);
  return { ok: result.ok, ms: f.now() - start };
}

describe('failed password checks take as long as the slowest hash of the connection', () => {
  it('measures each profile present at boot by verifying a dummy of it', async () => {
    const f = fake({ con_a: [OUR_PROFILE, 'bcrypt$12'] });
    await f.timing.prime(['con_a']);
    assert.equal(f.timing.costOf(OUR_PROFILE), 10);
    assert.equal(f.timing.costOf('bcrypt$12'), 220);
    assert.deepEqual([...new Set(f.log.verified)].sort(), [`dummy:${OUR_PROFILE}`, 'dummy:bcrypt$12'].sort());
  });

  it('an unknown user verifies a dummy of the slowest profile present, not the argon2id one', async () => {
    const f = fake({ con_a: [OUR_PROFILE, 'bcrypt$10', 'bcrypt$12'] });
    await f.timing.prime(['con_a']);
    f.log.verified.length = 0;
    const r = await timed(f, 'con_a', null, 'guess');
    assert.equal(r.ok, false);
    assert.deepEqual(f.log.verified, ['dummy:bcrypt$12']);
    assert.equal(r.ms, 220);
  });

  it('a wrong password for a faster hash waits until the slowest cost', async () => {
    const f = fake({ con_a: [OUR_PROFILE, 'bcrypt$10', 'bcrypt$12'] });
    await f.timing.prime(['con_a']);
    for (const stored of [ARGON, BCRYPT10, BCRYPT12]) {
      f.log.slept.length = 0;
      const r = await timed(f, 'con_a', stored, 'guess');
      assert.equal(r.ok, false);
      assert.equal(r.ms, 220, stored);
    }
    // A corrupt hash fails at once and is padded all the same.
    assert.equal((await timed(f, 'con_a', '$argon2id$garbage', 'guess')).ms, 220);
  });

  it('a right password is never padded', async () => {
    const f = fake({ con_a: [OUR_PROFILE, 'bcrypt$12'] });
    await f.timing.prime(['con_a']);
    f.log.slept.length = 0;
    const r = await timed(f, 'con_a', ARGON, RIGHT);
    assert.deepEqual(r, { ok: true, ms: 10 });
    assert.deepEqual(f.log.slept, []);
  });

  it('a connection of argon2id users only (or none) costs one argon2id verify', async () => {
    const f = fake({ con_a: [OUR_PROFILE], con_b: ['bcrypt$12'] });
    await f.timing.prime(['con_a', 'con_b']);
    f.log.verified.length = 0;
    assert.equal((await timed(f, 'con_a', null, 'guess')).ms, 10);
    assert.equal((await timed(f, 'con_empty', null, 'guess')).ms, 10);
    assert.deepEqual(f.log.verified, [`dummy:${OUR_PROFILE}`, `dummy:${OUR_PROFILE}`]);
    // Each connection has its own target.
    assert.equal((await timed(f, 'con_b', null, 'guess')).ms, 220);
  });

  it('the target is a high percentile of the recent samples, so it follows the load', async () => {
    const f = fake({ con_a: [OUR_PROFILE, 'bcrypt$10'] });
    await f.timing.prime(['con_a']);
    assert.equal((await timed(f, 'con_a', ARGON, 'guess')).ms, 55);
    // Under load, bcrypt verifications take longer (queueing on the thread pool).
    for (let i = 0; i < 64; i++) f.timing.record('bcrypt$10', 90);
    assert.equal((await timed(f, 'con_a', ARGON, 'guess')).ms, 90);
  });

  it('only the last minute of samples counts (or the latest three)', async () => {
    const f = fake({ con_a: [OUR_PROFILE, 'bcrypt$10'] });
    await f.timing.prime(['con_a']);
    for (let i = 0; i < 64; i++) f.timing.record('bcrypt$10', 300); // a burst of load
    assert.equal(f.timing.costOf('bcrypt$10'), 300);
    f.advance(61_000);
    assert.equal(f.timing.costOf('bcrypt$10'), 300);
    for (let i = 0; i < 3; i++) f.timing.record('bcrypt$10', 60);
    assert.equal(f.timing.costOf('bcrypt$10'), 60);
  });

  it('when only faster hashes fail, the slowest is measured again in the background, at most every 5 s', async () => {
    const f = fake({ con_a: [OUR_PROFILE, 'bcrypt$10'] });
    await f.timing.prime(['con_a']);
    const settle = () => new Promise((r) => setImmediate(r));
    f.advance(6_000);
    f.log.verified.length = 0;
    await timed(f, 'con_a', ARGON, 'guess');
    await settle();
    assert.deepEqual(f.log.verified, [ARGON, 'dummy:bcrypt$10']);
    f.log.verified.length = 0;
    await timed(f, 'con_a', ARGON, 'guess');
    await settle();
    assert.deepEqual(f.log.verified, [ARGON]);
  });

  it('a profile met on a real verification counts for its connection at once', async () => {
    const f = fake({ con_a: [OUR_PROFILE] });
    await f.timing.prime(['con_a']);
    // Imported by another process since the profiles were read.
    assert.equal((await timed(f, 'con_a', BCRYPT12, 'guess')).ms, 220);
    f.log.verified.length = 0;
    assert.equal((await timed(f, 'con_a', null, 'guess')).ms, 220);
    assert.deepEqual(f.log.verified, ['dummy:bcrypt$12']);
  });

  it('reads the profiles again in the background once they are 30 s old', async () => {
    const profiles: Record<string, string[]> = { con_a: [OUR_PROFILE] };
    const f = fake(profiles);
    await f.timing.prime(['con_a']);
    assert.equal(f.log.reads, 1);
    profiles.con_a = [OUR_PROFILE, 'bcrypt$12']; // an import in another process
    f.advance(10_000);
    assert.equal((await timed(f, 'con_a', null, 'guess')).ms, 10);
    assert.equal(f.log.reads, 1);
    f.advance(30_000);
    // Answers what was known at once; the read (and the new profile's measure) run behind it.
    const stale = await f.timing.connection('con_a');
    assert.deepEqual([...stale.profiles], [OUR_PROFILE]);
    assert.equal(f.log.reads, 2);
    await new Promise((r) => setImmediate(r));
    f.log.verified.length = 0;
    assert.equal((await timed(f, 'con_a', null, 'guess')).ms, 220);
    assert.deepEqual(f.log.verified, ['dummy:bcrypt$12']);
  });

  it('a connection first seen after boot is read before its first check', async () => {
    const f = fake({ con_new: [OUR_PROFILE, 'bcrypt$10'] });
    await f.timing.prime([]);
    // Measuring bcrypt$10 (three dummy verifications) delays this first check only.
    assert.equal((await timed(f, 'con_new', null, 'guess')).ms, 3 * 55 + 55);
    assert.equal((await timed(f, 'con_new', ARGON, 'guess')).ms, 55);
  });

  it('ignores a profile it cannot reproduce', async () => {
    const f = fake({ con_a: [OUR_PROFILE, 'bcrypt$10', 'bcrypt$99'] });
    await f.timing.prime(['con_a']);
    assert.equal(f.timing.costOf('bcrypt$99'), undefined);
    assert.equal((await timed(f, 'con_a', null, 'guess')).ms, 55);
  });
});

describe('hashProfile', () => {
  it('keeps the algorithm and cost parameters, not the salt or digest', () => {
    assert.equal(hashProfile(ARGON), OUR_PROFILE);
    assert.equal(hashProfile(BCRYPT10), 'bcrypt$10');
    assert.equal(hashProfile(`$2y$12$${'c'.repeat(53)}`), 'bcrypt$12');
    assert.equal(hashProfile('$argon2i$m=4096,t=3,p=1$c2FsdA$aGFzaA'), 'argon2i$v=16$m=4096,t=3,p=1');
    assert.equal(hashProfile('$argon2id$garbage'), null);
    assert.equal(hashProfile(null), null);
  });
});

describe('dummyHashFor', () => {
  it('makes a hash of the profile asked for', async () => {
    for (const p of [
      'bcrypt$04',
      'argon2i$v=16$m=1024,t=1,p=1',
      'argon2d$v=19$m=1024,t=2,p=2',
      OUR_PROFILE,
    ]) {
      assert.equal(hashProfile(await dummyHashFor(p)), p);
    }
    await assert.rejects(dummyHashFor('scrypt$whatever'), /no dummy hash/);
  });
});

for (const kind of storeKinds) {
  describe(`users.hash_profile (${kind.name})`, () => {
    it('is filled in for the users that exist when the migration runs', async () => {
      const store = await kind.open();
      try {
        const db = store.db as unknown as Kysely<any>;
        await m0010.down(db);
        await db
          .insertInto('connections')
          .values({ id: 'con_x', name: 'x', strategy: 'auth0', config: '{}', created_at: 0, updated_at: 0 })
          .execute();
        const row = (id: string, password_hash: string | null) => ({
          id,
          connection_id: 'con_x',
          password_hash,
          profile: '{}',
          app_metadata: '{}',
          user_metadata: '{}',
          created_at: 0,
          updated_at: 0,
        });
        await db
          .insertInto('users')
          .values([row('u1', ARGON), row('u2', BCRYPT12), row('u3', null), row('u4', BCRYPT12)])
          .execute();
        await m0010.up(db);
        assert.deepEqual(await hashProfilesOf(store.db, 'con_x'), [OUR_PROFILE, 'bcrypt$12']);
        assert.deepEqual(await hashProfilesOf(store.db, 'con_none'), []);
      } finally {
        await store.close();
      }
    });
  });
}
