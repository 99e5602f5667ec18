import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  deleteDroppedSigningKeys,
  insertSigningKey,
  listSigningKeys,
  retireSigningKeys,
  type SigningKeyRow,
} from '../../src/store/repos/keys.js';
import { contract, rejectsUnique, T0 } from './contract.js';

contract('keys', (ctx) => {
  const key = (kid: string, activatesAt: number): SigningKeyRow => ({
    kid,
    alg: 'RS256',
    public_jwk: JSON.stringify({ kty: 'RSA', kid, n: 'AQAB', e: 'AQAB' }),
    private_enc: `sealed-${kid}`,
    created_at: T0,
    activates_at: activatesAt,
    retired_at: null,
    drop_at: null,
  });

  it('round-trips every field; lists by activation time; a kid is unique', async () => {
    await insertSigningKey(ctx.db, key('k2', T0 + 2));
    await insertSigningKey(ctx.db, key('k1', T0 + 1));
    await insertSigningKey(ctx.db, key('k3', T0 + 3));
    assert.deepEqual(await listSigningKeys(ctx.db), [
      key('k1', T0 + 1),
      key('k2', T0 + 2),
      key('k3', T0 + 3),
    ]);
    await rejectsUnique(insertSigningKey(ctx.db, key('k1', T0)), 'signing_keys', ['kid']);
  });

  it('retire sets when signing stops and the key drops; drop deletes when due', async () => {
    await retireSigningKeys(ctx.db, ['k1', 'k2'], T0 + 10, T0 + 20);
    await retireSigningKeys(ctx.db, [], T0, T0);
    const byKid = new Map((await listSigningKeys(ctx.db)).map((k) => [k.kid, k]));
    assert.equal(byKid.get('k1')?.retired_at, T0 + 10);
    assert.equal(byKid.get('k2')?.drop_at, T0 + 20);
    assert.equal(byKid.get('k3')?.retired_at, null);
    await deleteDroppedSigningKeys(ctx.db, T0 + 19);
    assert.equal((await listSigningKeys(ctx.db)).length, 3);
    await deleteDroppedSigningKeys(ctx.db, T0 + 20);
    assert.deepEqual(
      (await listSigningKeys(ctx.db)).map((k) => k.kid),
      ['k3'],
    );
  });
});
