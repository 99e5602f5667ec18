import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type AuthenticatorRow,
  activateAuthenticators,
  claimTotpStep,
  deleteAuthenticator,
  deletePendingAuthenticators,
  deleteUserAuthenticators,
  insertAuthenticator,
  listAuthenticators,
  replaceRecoveryCode,
} from '../../src/store/repos/mfa-authenticators.js';
import { AWKWARD, contract, nulBehaviour, race, rejectsUnique, T0 } from './contract.js';

contract('mfa-authenticators', (ctx) => {
  const auth = (id: string, extra: Partial<AuthenticatorRow> = {}): AuthenticatorRow => ({
    id,
    user_id: 'auth0|alice',
    type: 'otp',
    name: null,
    secret_enc: 'sealed-secret',
    code_hash: null,
    active: 1,
    last_step: 0,
    created_at: T0,
    enrolled_in: null,
    ...extra,
  });

  it('round-trips every field', async () => {
    const a = auth('sms|dev_round', {
      user_id: 'auth0|round',
      type: 'sms',
      name: `+33 ${AWKWARD.rtl}`,
      secret_enc: null,
      active: 0,
      last_step: 123456789,
      enrolled_in: 'mfa_tx_1',
    });
    await insertAuthenticator(ctx.db, a);
    assert.deepEqual(await listAuthenticators(ctx.db, 'auth0|round'), [a]);
    await rejectsUnique(insertAuthenticator(ctx.db, a), 'mfa_authenticators', ['id']);
  });

  it('lists oldest first (then by id), the recovery code last', async () => {
    const u = 'auth0|order';
    await insertAuthenticator(
      ctx.db,
      auth('recovery-code|dev_r', { user_id: u, type: 'recovery-code', created_at: T0 }),
    );
    await insertAuthenticator(ctx.db, auth('totp|dev_b', { user_id: u, created_at: T0 + 1 }));
    await insertAuthenticator(ctx.db, auth('totp|dev_a', { user_id: u, created_at: T0 + 1 }));
    await insertAuthenticator(ctx.db, auth('email|dev_c', { user_id: u, type: 'email', created_at: T0 + 2 }));
    assert.deepEqual(
      (await listAuthenticators(ctx.db, u)).map((a) => a.id),
      ['totp|dev_a', 'totp|dev_b', 'email|dev_c', 'recovery-code|dev_r'],
    );
  });

  it('a TOTP step is accepted once: of 10 racing claims of one step exactly one wins; older steps lose', async () => {
    await insertAuthenticator(ctx.db, auth('totp|dev_step', { last_step: 10 }));
    assert.equal(await race(10, () => claimTotpStep(ctx.db, 'totp|dev_step', 11)), 1);
    assert.equal(await claimTotpStep(ctx.db, 'totp|dev_step', 11), false);
    assert.equal(await claimTotpStep(ctx.db, 'totp|dev_step', 9), false);
    // Racing different steps: the newest is what remains.
    await Promise.all([12, 14, 13].map((s) => claimTotpStep(ctx.db, 'totp|dev_step', s)));
    const [row] = await listAuthenticators(ctx.db, 'auth0|alice');
    assert.equal(row?.last_step, 14);
  });

  it('a recovery code is replaced once: of 10 racing replacements exactly one wins and stays', async () => {
    const u = 'auth0|rc';
    await insertAuthenticator(
      ctx.db,
      auth('recovery-code|dev_rc', { user_id: u, type: 'recovery-code', code_hash: 'old' }),
    );
    const winners: number[] = [];
    const n = await race(10, async (i) => {
      const won = await replaceRecoveryCode(ctx.db, 'recovery-code|dev_rc', 'old', `new-${i}`);
      if (won) winners.push(i);
      return won;
    });
    assert.equal(n, 1);
    assert.equal((await listAuthenticators(ctx.db, u))[0]?.code_hash, `new-${winners[0]}`);
  });

  it('activation, pending deletion, deletion by owner only', async () => {
    const u = 'auth0|life';
    await insertAuthenticator(ctx.db, auth('totp|dev_p1', { user_id: u, active: 0 }));
    await insertAuthenticator(ctx.db, auth('totp|dev_p2', { user_id: u, active: 0 }));
    await insertAuthenticator(ctx.db, auth('sms|dev_p3', { user_id: u, type: 'sms', active: 0 }));
    await activateAuthenticators(ctx.db, ['totp|dev_p1']);
    await activateAuthenticators(ctx.db, []);
    await deletePendingAuthenticators(ctx.db, u, 'otp');
    assert.deepEqual(
      (await listAuthenticators(ctx.db, u)).map((a) => [a.id, a.active]),
      [
        ['sms|dev_p3', 0],
        ['totp|dev_p1', 1],
      ],
    );
    assert.equal(await deleteAuthenticator(ctx.db, 'auth0|other', 'totp|dev_p1'), false);
    assert.equal(await deleteAuthenticator(ctx.db, u, 'totp|dev_p1'), true);
    assert.equal(await deleteAuthenticator(ctx.db, u, 'totp|dev_p1'), false);
    assert.equal(await deleteUserAuthenticators(ctx.db, u), 1);
  });

  it('NUL in a phone number: PostgreSQL refuses it, SQLite stores it', async () => {
    await nulBehaviour(
      ctx,
      () =>
        insertAuthenticator(
          ctx.db,
          auth('sms|dev_nul', { user_id: 'auth0|nul', type: 'sms', name: '+1\u0000' }),
        ),
      async () => (await listAuthenticators(ctx.db, 'auth0|nul'))[0]?.name,
      '+1\u0000',
    );
  });
});
