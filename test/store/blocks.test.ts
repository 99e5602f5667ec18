import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  activeBlocksSince,
  type BlockRow,
  claimNotification,
  deleteLeak,
  dropLiftedBlock,
  extendBlock,
  findBlock,
  liftBlocks,
  listBlocks,
  listLeaks,
  purgeBlocks,
  putBlock,
  putLeak,
  useTicket,
} from '../../src/store/repos/blocks.js';
import { blockRow } from '../helpers/rows.js';
import { AWKWARD, contract, race, T0 } from './contract.js';

contract('blocks', (ctx) => {
  const block = (id: string, extra: Partial<BlockRow> = {}): BlockRow => blockRow(id, T0, extra);

  it('round-trips every field', async () => {
    const b = block('b_round', {
      identifier: AWKWARD.astral,
      ip: '2001:db8::1',
      notified_at: T0,
      kind: 'ip',
    });
    assert.equal(await putBlock(ctx.db, b), true);
    assert.deepEqual(await findBlock(ctx.db, 'b_round'), b);
  });

  it('putBlock: of 10 racing processes exactly one puts the block in force; a lifted block may be put again', async () => {
    assert.equal(await race(10, (i) => putBlock(ctx.db, block('b_race', { attempts: i }))), 1);
    assert.equal(await putBlock(ctx.db, block('b_race')), false, 'a block in force stays');
    assert.equal((await liftBlocks(ctx.db, { ids: ['b_race'] }, T0 + 1)).length, 1);
    assert.equal(await race(10, () => putBlock(ctx.db, block('b_race', { updated_at: T0 + 2 }))), 1);
    assert.equal((await findBlock(ctx.db, 'b_race'))?.lifted_at, null);
  });

  it('an expired IP throttle may be put again; extend moves its end', async () => {
    await putBlock(ctx.db, block('b_ip', { kind: 'ip', ip: '192.0.2.1', expires_at: T0 + 10 }));
    await extendBlock(ctx.db, 'b_ip', T0 + 20, T0 + 5);
    assert.equal((await findBlock(ctx.db, 'b_ip'))?.expires_at, T0 + 20);
    assert.equal(await putBlock(ctx.db, block('b_ip', { kind: 'ip', updated_at: T0 + 19 })), false);
    assert.equal(await putBlock(ctx.db, block('b_ip', { kind: 'ip', updated_at: T0 + 20 })), true);
  });

  it('claimNotification: of 10 racing claims one wins, and again only after the window', async () => {
    await putBlock(ctx.db, block('b_note'));
    assert.equal(await race(10, () => claimNotification(ctx.db, 'b_note', T0 + 1, 1000)), 1);
    assert.equal(await claimNotification(ctx.db, 'b_note', T0 + 500, 1000), false);
    assert.equal(await claimNotification(ctx.db, 'b_note', T0 + 1001, 1000), true);
  });

  it('lift by filter returns what it lifted, once; dropLiftedBlock: one of 10 racing callers', async () => {
    await putBlock(ctx.db, block('b_l1', { user_id: 'auth0|lift', identifier: 'lift', created_at: T0 + 1 }));
    await putBlock(ctx.db, block('b_l2', { user_id: null, identifier: 'lift', created_at: T0 + 2 }));
    assert.deepEqual(
      (await listBlocks(ctx.db, { identifiers: ['lift'] })).map((b) => b.id),
      ['b_l1', 'b_l2'],
    );
    assert.deepEqual(await liftBlocks(ctx.db, {}, T0), [], 'an empty filter lifts nothing');
    const lifted = await Promise.all([
      liftBlocks(ctx.db, { userId: 'auth0|lift', identifiers: ['lift'] }, T0 + 3),
      liftBlocks(ctx.db, { identifiers: ['lift'], connectionId: 'con_customers' }, T0 + 3),
    ]);
    assert.deepEqual(
      lifted
        .flat()
        .map((b) => b.id)
        .sort(),
      ['b_l1', 'b_l2'],
    );
    assert.deepEqual(await listBlocks(ctx.db, { identifiers: ['lift'] }), []);
    assert.equal(await race(10, () => dropLiftedBlock(ctx.db, 'b_l1')), 1);
    assert.equal(await findBlock(ctx.db, 'b_l1'), undefined);
  });

  it('activeBlocksSince and purge', async () => {
    await putBlock(ctx.db, block('b_old', { updated_at: T0 - 10, expires_at: T0 - 5, kind: 'ip' }));
    const since = (await activeBlocksSince(ctx.db, T0)).map((b) => b.id);
    assert.ok(!since.includes('b_old'));
    assert.ok((await activeBlocksSince(ctx.db, 0)).some((b) => b.id === 'b_old'));
    await purgeBlocks(ctx.db, T0);
    assert.equal(await findBlock(ctx.db, 'b_old'), undefined);
  });

  it('useTicket: of 10 racing uses exactly one wins', async () => {
    assert.equal(await race(10, () => useTicket(ctx.db, 'ticket-1', T0, T0 + 1000)), 1);
    assert.equal(await useTicket(ctx.db, 'ticket-1', T0 + 1, T0 + 1000), false);
  });

  it('putLeak: true once per fingerprint (10 racing detections: one); a new password is new', async () => {
    assert.equal(await race(10, () => putLeak(ctx.db, 'auth0|leak', 'fp1', T0)), 1);
    assert.equal(await putLeak(ctx.db, 'auth0|leak', 'fp2', T0 + 1), true);
    assert.deepEqual(await listLeaks(ctx.db, 'auth0|leak'), [
      { user_id: 'auth0|leak', hash_fingerprint: 'fp2', detected_at: T0 + 1 },
    ]);
    assert.equal(await deleteLeak(ctx.db, 'auth0|leak'), true);
    assert.equal(await deleteLeak(ctx.db, 'auth0|leak'), false);
  });
});
