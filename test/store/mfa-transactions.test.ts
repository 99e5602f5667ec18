import assert from 'node:assert/strict';
import { it } from 'node:test';
import { claimOobSend, releaseOobSend } from '../../src/store/repos/mfa-sends.js';
import {
  completeMfaTransaction,
  deleteFinishedMfaTransaction,
  findMfaChallenge,
  findMfaTransaction,
  hasMfaAttempt,
  insertMfaChallenge,
  insertMfaTransaction,
  insertMfaTransactionIfAbsent,
  type MfaChallengeRow,
  type MfaTransactionRow,
  pollMfaChallenge,
  refundMfaAttempt,
  takeMfaAttempt,
  useMfaChallenge,
} from '../../src/store/repos/mfa-transactions.js';
import { contract, NESTED_JSON, race, rejectsUnique, T0 } from './contract.js';

contract('mfa-transactions', (ctx) => {
  const tx = (id: string, extra: Partial<MfaTransactionRow> = {}): MfaTransactionRow => ({
    id,
    token_hash: `hash-${id}`,
    user_id: 'auth0|alice',
    client_id: 'acme-web',
    login: JSON.stringify({ scope: 'openid', nested: NESTED_JSON }),
    created_at: T0,
    expires_at: T0 + 300_000,
    completed_at: null,
    oob_sends: 0,
    ...extra,
  });
  const challenge = (id: string, extra: Partial<MfaChallengeRow> = {}): MfaChallengeRow => ({
    id,
    oob_hash: `oob-${id}`,
    transaction_id: 'mfa_tx',
    authenticator_id: 'sms|dev_1',
    binding_hash: 'binding',
    created_at: T0,
    expires_at: T0 + 300_000,
    last_poll_at: null,
    used_at: null,
    ...extra,
  });

  it('a transaction round-trips every field (its login JSON as stored text)', async () => {
    await insertMfaTransaction(ctx.db, tx('tx_round'));
    assert.deepEqual(await findMfaTransaction(ctx.db, 'hash-tx_round'), tx('tx_round'));
    assert.deepEqual(JSON.parse((await findMfaTransaction(ctx.db, 'hash-tx_round'))?.login ?? ''), {
      scope: 'openid',
      nested: NESTED_JSON,
    });
  });

  it('token_hash is unique: insert fails with UniqueViolation, insertIfAbsent keeps the first', async () => {
    await insertMfaTransaction(ctx.db, tx('tx_u'));
    await rejectsUnique(
      insertMfaTransaction(ctx.db, tx('tx_u2', { token_hash: 'hash-tx_u' })),
      'mfa_transactions',
      ['token_hash'],
    );
    await insertMfaTransactionIfAbsent(ctx.db, tx('tx_u3', { token_hash: 'hash-tx_u' }));
    assert.equal((await findMfaTransaction(ctx.db, 'hash-tx_u'))?.id, 'tx_u');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        insertMfaTransactionIfAbsent(ctx.db, tx(`tx_r${i}`, { token_hash: 'h-racing' })),
      ),
    );
    assert.match((await findMfaTransaction(ctx.db, 'h-racing'))?.id ?? '', /^tx_r\d$/);
  });

  it('completion: of 10 racing MFA grants exactly one completes; finished ones may be deleted', async () => {
    await insertMfaTransaction(ctx.db, tx('tx_done'));
    assert.equal(await race(10, () => completeMfaTransaction(ctx.db, 'tx_done', T0 + 1)), 1);
    assert.equal((await findMfaTransaction(ctx.db, 'hash-tx_done'))?.completed_at, T0 + 1);
    await insertMfaTransaction(ctx.db, tx('tx_open'));
    await deleteFinishedMfaTransaction(ctx.db, 'tx_open', T0);
    assert.ok(await findMfaTransaction(ctx.db, 'hash-tx_open'), 'an open transaction stays');
    await deleteFinishedMfaTransaction(ctx.db, 'tx_open', T0 + 300_000);
    assert.equal(await findMfaTransaction(ctx.db, 'hash-tx_open'), undefined, 'an expired one goes');
    await deleteFinishedMfaTransaction(ctx.db, 'tx_done', T0 + 2);
    assert.equal(await findMfaTransaction(ctx.db, 'hash-tx_done'), undefined);
  });

  it('a challenge round-trips; of 10 racing uses exactly one wins', async () => {
    await insertMfaChallenge(ctx.db, challenge('ch_use'));
    assert.deepEqual(await findMfaChallenge(ctx.db, 'oob-ch_use'), challenge('ch_use'));
    await rejectsUnique(
      insertMfaChallenge(ctx.db, challenge('ch_use2', { oob_hash: 'oob-ch_use' })),
      'mfa_challenges',
      ['oob_hash'],
    );
    assert.equal(await race(10, () => useMfaChallenge(ctx.db, 'ch_use', T0 + 1)), 1);
    assert.equal((await findMfaChallenge(ctx.db, 'oob-ch_use'))?.used_at, T0 + 1);
  });

  it('polls: of 10 racing polls one is recorded; the next is too soon until the interval has passed', async () => {
    await insertMfaChallenge(ctx.db, challenge('ch_poll'));
    assert.equal(await race(10, () => pollMfaChallenge(ctx.db, 'ch_poll', T0 + 10, 5000)), 1);
    assert.equal(await pollMfaChallenge(ctx.db, 'ch_poll', T0 + 4000, 5000), false);
    assert.equal(await pollMfaChallenge(ctx.db, 'ch_poll', T0 + 5010, 5000), true);
  });

  it('the attempt bucket: 10 racing failures take exactly `capacity` tokens; refunds and refills', async () => {
    const u = 'auth0|bucket';
    assert.equal(await hasMfaAttempt(ctx.db, u, T0, 3, 60_000), true);
    assert.equal(await race(10, () => takeMfaAttempt(ctx.db, u, T0, 3, 60_000)), 3);
    assert.equal(await hasMfaAttempt(ctx.db, u, T0, 3, 60_000), false);
    await refundMfaAttempt(ctx.db, u, 3);
    assert.equal(await takeMfaAttempt(ctx.db, u, T0, 3, 60_000), true);
    assert.equal(await takeMfaAttempt(ctx.db, u, T0, 3, 60_000), false);
    assert.equal(await hasMfaAttempt(ctx.db, u, T0 + 60_000, 3, 60_000), true, 'one token back per refillMs');
  });

  it('OOB sends: of 10 racing sends one goes, the others wait; the per-transaction cap holds', async () => {
    await insertMfaTransaction(ctx.db, tx('tx_send'));
    const o = { txId: 'tx_send', userId: 'auth0|sender', now: T0, intervalMs: 30_000, maxPerTx: 2 };
    const answers = await Promise.all(Array.from({ length: 10 }, () => claimOobSend(ctx.db, o)));
    assert.equal(answers.filter((a) => a === undefined).length, 1);
    for (const a of answers.filter(Boolean))
      assert.deepEqual(a, { reason: 'too_soon', retryAfterMs: 30_000 });
    // The refused sends rolled their count back: one counted.
    assert.equal((await findMfaTransaction(ctx.db, 'hash-tx_send'))?.oob_sends, 1);
    await releaseOobSend(ctx.db, 'auth0|sender', T0);
    assert.equal(await claimOobSend(ctx.db, { ...o, now: T0 + 1 }), undefined);
    assert.deepEqual(await claimOobSend(ctx.db, { ...o, now: T0 + 60_000 }), {
      reason: 'spent',
      retryAfterMs: 30_000,
    });
  });
});
