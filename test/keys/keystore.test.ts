import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import { KEYS_RELOAD_MS, KeyStore, keyState } from '../../src/keys/keystore.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { storeKinds } from '../helpers/stores.js';

const SECRET = 'a-secret-a-secret-a-secret-a-secret-42';

describe('secret box', () => {
  it('round-trips and refuses another secret or a tampered box', () => {
    const box = new SecretBox(SECRET);
    const sealed = box.seal('private key pem');
    assert.notEqual(sealed, box.seal('private key pem'), 'a fresh IV each time');
    assert.equal(box.open(sealed), 'private key pem');
    assert.throws(() => new SecretBox(`${SECRET}x`).open(sealed));
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    assert.throws(() => box.open(parts.join('.')));
  });
});

for (const kind of storeKinds) {
  describe(`key store (${kind.name})`, () => {
    it('creates one key on first start, keeps it sealed and reuses it after a restart', async () => {
      const store = await kind.open();
      try {
        const now = () => 1_800_000_000_000;
        const first = new KeyStore(store, new SecretBox(SECRET), now);
        await first.init();
        const key = await first.current();
        const rows = await store.db.selectFrom('signing_keys').selectAll().execute();
        assert.equal(rows.length, 1);
        assert.ok(!rows[0]!.private_enc.includes('PRIVATE KEY'), 'the private key is stored sealed');
        const again = new KeyStore(store, new SecretBox(SECRET), now);
        await again.init();
        assert.equal((await again.current()).kid, key.kid);
        assert.equal((await store.db.selectFrom('signing_keys').selectAll().execute()).length, 1);
        await assert.rejects(
          new KeyStore(store, new SecretBox(`${SECRET}-other`), now).init(),
          /TESSERA_SECRET is not the secret/,
        );
      } finally {
        await store.close();
      }
    });

    it('publishes a pending key but signs with it only from its activation time', async () => {
      const store = await kind.open();
      try {
        let t = 1_800_000_000_000;
        const ks = new KeyStore(store, new SecretBox(SECRET), () => t);
        await ks.init();
        const old = (await ks.current()).kid;
        const next = await ks.addKey(t + 60_000);
        assert.deepEqual((await ks.jwks()).keys.map((k) => k.kid).sort(), [old, next].sort());
        assert.equal((await ks.current()).kid, old);
        t += 60_000;
        assert.equal((await ks.current()).kid, next);
      } finally {
        await store.close();
      }
    });
  });

  describe(`key rotation (${kind.name})`, () => {
    it('publishes the new key first, switches after the delay, drops the old one after the retention', async () => {
      const store = await kind.open();
      try {
        let t = 1_800_000_000_000;
        const ks = new KeyStore(store, new SecretBox(SECRET), () => t);
        await ks.init();
        const old = await ks.current();
        const oldToken = await new SignJWT({ sub: 'x' })
          .setProtectedHeader({ alg: 'RS256', kid: old.kid })
          .sign(old.privateKey);
        const r = await ks.rotate(600_000, 86_400_000);
        assert.deepEqual(r.retired, [old.kid]);
        assert.deepEqual((await ks.jwks()).keys.map((k) => k.kid).sort(), [old.kid, r.kid].sort());
        assert.equal((await ks.current()).kid, old.kid, 'the old key signs until the new one activates');
        t += 600_000;
        assert.equal((await ks.current()).kid, r.kid);
        // A token signed before the rotation still verifies against the published JWKS.
        const { payload } = await jwtVerify(oldToken, createLocalJWKSet(await ks.jwks()));
        assert.equal(payload.sub, 'x');
        t += 86_400_000;
        assert.deepEqual(
          (await ks.jwks()).keys.map((k) => k.kid),
          [r.kid],
          'dropped once its tokens expired',
        );
        await ks.rotate(0, 1000);
        const kids = (await store.db.selectFrom('signing_keys').select('kid').execute()).map((k) => k.kid);
        assert.ok(!kids.includes(old.kid), 'a dropped key is deleted at the next rotation');
        assert.equal(kids.length, 2);
      } finally {
        await store.close();
      }
    });
  });
}

for (const kind of storeKinds) {
  describe(`key states and publishing (${kind.name})`, () => {
    it('two rotations in a row leave one active key at every instant', async () => {
      const store = await kind.open();
      try {
        let t = 1_800_000_000_000;
        const ks = new KeyStore(store, new SecretBox(SECRET), () => t);
        await ks.init();
        const k1 = (await ks.current()).kid;
        const r2 = await ks.rotate(600_000, 86_400_000);
        t += 10_000;
        const r3 = await ks.rotate(0, 86_400_000);
        assert.deepEqual(r3.retired.sort(), [k1, r2.kid].sort(), 'every key not yet retired by then');
        const states = async () => Object.fromEntries((await ks.list()).map((k) => [k.kid, keyState(k, t)]));
        assert.deepEqual(await states(), { [k1]: 'retired', [r2.kid]: 'retired', [r3.kid]: 'active' });
        t += 600_000; // the time r2 would have activated: it never signs
        assert.deepEqual(await states(), { [k1]: 'retired', [r2.kid]: 'retired', [r3.kid]: 'active' });
        assert.equal((await ks.current()).kid, r3.kid);
        // And with a delay, the old key hands over exactly when the new one activates.
        const r4 = await ks.rotate(600_000, 86_400_000);
        assert.equal((await states())[r4.kid], 'pending');
        assert.equal((await states())[r3.kid], 'active');
        t += 600_000;
        assert.equal((await states())[r4.kid], 'active');
        assert.equal((await states())[r3.kid], 'retired');
        for (let step = 0; step < 3; step++) {
          const active = Object.values(await states()).filter((s) => s === 'active');
          assert.equal(active.length, 1);
          t += 300_000;
        }
      } finally {
        await store.close();
      }
    });

    it('the rotating process publishes at once, other nodes within KEYS_RELOAD_MS', async () => {
      const store = await kind.open();
      try {
        let t = 1_800_000_000_000;
        const clock = () => t;
        const rotating = new KeyStore(store, new SecretBox(SECRET), clock);
        const other = new KeyStore(store, new SecretBox(SECRET), clock);
        await rotating.init();
        await other.init();
        await other.jwks();
        const r = await rotating.rotate(600_000, 86_400_000);
        assert.ok(
          (await rotating.jwks()).keys.some((k) => k.kid === r.kid),
          'published at once',
        );
        assert.ok(KEYS_RELOAD_MS <= 5_000, 'the documented time');
        t += KEYS_RELOAD_MS + 1;
        assert.ok(
          (await other.jwks()).keys.some((k) => k.kid === r.kid),
          'published by another node',
        );
      } finally {
        await store.close();
      }
    });
  });
}
