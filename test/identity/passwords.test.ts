import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Algorithm, hash as argonHash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { hashKind, hashPassword, verifyPassword } from '../../src/identity/passwords.js';
import { findUserById } from '../../src/store/repos/users.js';
import { SECRET, addUser, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

describe('password hashing', () => {
  it('hashes with argon2id m=19456 t=2 p=1 and verifies', async () => {
    const h = await hashPassword('pw-123');
    assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.deepEqual(await verifyPassword(h, 'pw-123'), { ok: true, needsRehash: false });
    assert.deepEqual(await verifyPassword(h, 'pw-124'), { ok: false, needsRehash: false });
  });

  it('verifies bcrypt and weaker argon2 hashes and asks for a re-hash', async () => {
    const b = await bcryptHash('pw', 4);
    assert.equal(hashKind(b), 'bcrypt');
    assert.deepEqual(await verifyPassword(b, 'pw'), { ok: true, needsRehash: true });
    assert.deepEqual(await verifyPassword(b, 'px'), { ok: false, needsRehash: false });
    const a2i = await argonHash('pw', { algorithm: Algorithm.Argon2i });
    assert.deepEqual(await verifyPassword(a2i, 'pw'), { ok: true, needsRehash: true });
    const weak = await argonHash('pw', { algorithm: Algorithm.Argon2id, memoryCost: 4096, timeCost: 1 });
    assert.deepEqual(await verifyPassword(weak, 'pw'), { ok: true, needsRehash: true });
  });

  it('fails closed on a corrupt or unknown hash', async () => {
    assert.deepEqual(await verifyPassword('$argon2id$garbage', 'pw'), { ok: false, needsRehash: false });
    assert.deepEqual(await verifyPassword('plaintext', 'plaintext'), { ok: false, needsRehash: false });
  });
});

for (const kind of storeKinds) {
  describe(`imported hashes are upgraded on login (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    for (const [name, make] of [
      ['bcrypt', () => bcryptHash('imported-pw', 10)],
      ['argon2i', () => argonHash('imported-pw', { algorithm: Algorithm.Argon2i })],
    ] as const) {
      it(`logs a user with a ${name} hash in and re-hashes it to argon2id`, async () => {
        const id = `auth0|imp-${name}`;
        const original = await make();
        await addUser(t.rt, {
          user_id: id,
          connection_id: 'con_default',
          email: `${name}@acme.test`,
          hash: original,
        });
        const form = {
          grant_type: 'password',
          username: `${name}@acme.test`,
          client_id: 'acme-web',
          client_secret: SECRET,
        };
        const wrong = await tokenRequest(t.app, { ...form, password: 'not-it' });
        assert.equal(wrong.statusCode, 403);
        assert.equal(
          (await findUserById(t.rt.store.db, id))!.password_hash,
          original,
          'a failed login changes nothing',
        );
        const ok = await tokenRequest(t.app, { ...form, password: 'imported-pw' });
        assert.equal(ok.statusCode, 200);
        const upgraded = (await findUserById(t.rt.store.db, id))!.password_hash!;
        assert.match(upgraded, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        assert.deepEqual(await verifyPassword(upgraded, 'imported-pw'), { ok: true, needsRehash: false });
        assert.equal((await tokenRequest(t.app, { ...form, password: 'imported-pw' })).statusCode, 200);
      });
    }
  });
}
