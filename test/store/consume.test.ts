import assert from 'node:assert/strict';
import { it } from 'node:test';
import { consumeOnce } from '../../src/store/consume.js';
import { insertMfaChallenge } from '../../src/store/repos/mfa-transactions.js';
import { contract, race, T0 } from './contract.js';

contract('consumeOnce', (ctx) => {
  const challenge = (id: string) => ({
    id,
    oob_hash: `oob-${id}`,
    transaction_id: 'tx',
    authenticator_id: 'sms|dev_1',
    binding_hash: 'b',
    created_at: T0,
    expires_at: T0 + 1000,
    last_poll_at: null,
    used_at: null,
  });

  it('of 10 racing callers exactly one wins; later callers lose; the winner’s values stay', async () => {
    await insertMfaChallenge(ctx.db, challenge('c_once'));
    const winners: number[] = [];
    const n = await race(10, async (i) => {
      const won = await consumeOnce(
        ctx.db,
        'mfa_challenges',
        (eb) => eb.and([eb('id', '=', 'c_once'), eb('used_at', 'is', null)]),
        { used_at: T0 + i },
      );
      if (won) winners.push(i);
      return won;
    });
    assert.equal(n, 1);
    const row = await ctx.db
      .selectFrom('mfa_challenges')
      .select('used_at')
      .where('id', '=', 'c_once')
      .executeTakeFirst();
    assert.equal(row?.used_at, T0 + winners[0]!);
  });

  it('false when no row matches (unknown key, or the state already moved on)', async () => {
    assert.equal(
      await consumeOnce(ctx.db, 'mfa_challenges', (eb) => eb('id', '=', 'c_none'), { used_at: T0 }),
      false,
    );
  });

  it('values computed from the row: 10 racing increments under a cap of 4 — exactly 4 win', async () => {
    await ctx.db
      .insertInto('mfa_attempts')
      .values({ user_id: 'auth0|counter', tokens: 0, updated_at: T0 })
      .execute();
    const n = await race(10, () =>
      consumeOnce(
        ctx.db,
        'mfa_attempts',
        (eb) => eb.and([eb('user_id', '=', 'auth0|counter'), eb('tokens', '<', 4)]),
        (eb) => ({ tokens: eb('tokens', '+', 1) }),
      ),
    );
    assert.equal(n, 4);
    const row = await ctx.db
      .selectFrom('mfa_attempts')
      .select('tokens')
      .where('user_id', '=', 'auth0|counter')
      .executeTakeFirst();
    assert.equal(row?.tokens, 4);
  });

  it('inside a transaction: a rollback undoes the consume', async () => {
    await insertMfaChallenge(ctx.db, challenge('c_trx'));
    const consume = (db: typeof ctx.db) =>
      consumeOnce(db, 'mfa_challenges', (eb) => eb.and([eb('id', '=', 'c_trx'), eb('used_at', 'is', null)]), {
        used_at: T0,
      });
    await assert.rejects(
      ctx.db.transaction().execute(async (trx) => {
        assert.equal(await consume(trx), true);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(await consume(ctx.db), true);
  });
});
