import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  consumeRefreshToken,
  findRefreshTokenByHash,
  findRefreshTokenById,
  forgetSuccessor,
  insertRefreshToken,
  revokeFamily,
  revokeUserRefreshTokens,
  supersedeSuccessor,
  touchRefreshToken,
} from '../../src/store/repos/refresh-tokens.js';
import { rotateInOneStatement } from '../../src/store/repos/refresh-rotation.js';
import { insertEvent, listEvents } from '../../src/store/repos/events.js';
import { AWKWARD, contract, race, refreshTokenRow, rejectsUnique, T0 } from './contract.js';

contract('refresh-tokens', (ctx) => {
  const token = refreshTokenRow;

  it('round-trips every field, by id and by hash; a new token has no successor', async () => {
    const t = token('rt_round', {
      scope: `openid ${AWKWARD.astral}`,
      audience: null,
      parent_id: 'rt_parent',
    });
    await insertRefreshToken(ctx.db, t);
    const expected = { ...t, successor_enc: null };
    assert.deepEqual(await findRefreshTokenById(ctx.db, 'rt_round'), expected);
    assert.deepEqual(await findRefreshTokenByHash(ctx.db, 'hash-rt_round'), expected);
    await insertRefreshToken(ctx.db, token('rt_first'));
    assert.equal((await findRefreshTokenById(ctx.db, 'rt_first'))?.parent_id, null);
  });

  it('id and token_hash are unique: UniqueViolation', async () => {
    await insertRefreshToken(ctx.db, token('rt_u'));
    await rejectsUnique(
      insertRefreshToken(ctx.db, token('rt_u', { token_hash: 'other' })),
      'refresh_tokens',
      ['id'],
    );
    await rejectsUnique(
      insertRefreshToken(ctx.db, token('rt_u2', { token_hash: 'hash-rt_u' })),
      'refresh_tokens',
      ['token_hash'],
    );
  });

  it('consume: of 10 racing rotations exactly one wins, and its successor is the one kept', async () => {
    await insertRefreshToken(ctx.db, token('rt_race'));
    const wins: number[] = [];
    const n = await race(10, async (i) => {
      const won = await consumeRefreshToken(
        ctx.db,
        'rt_race',
        { id: `succ-${i}`, sealed: `sealed-${i}` },
        T0 + 1,
      );
      if (won) wins.push(i);
      return won;
    });
    assert.equal(n, 1);
    const row = await findRefreshTokenById(ctx.db, 'rt_race');
    assert.equal(row?.replaced_by, `succ-${wins[0]}`);
    assert.equal(row?.successor_enc, `sealed-${wins[0]}`);
    assert.equal(row?.rotated_at, T0 + 1);
    assert.equal(await consumeRefreshToken(ctx.db, 'rt_race', { id: 'late', sealed: null }, T0 + 2), false);
  });

  it('a revoked token cannot be consumed or touched', async () => {
    await insertRefreshToken(ctx.db, token('rt_rev', { family_id: 'fam-rev' }));
    await insertRefreshToken(ctx.db, token('rt_rev2', { family_id: 'fam-rev' }));
    assert.equal(await revokeFamily(ctx.db, 'fam-rev', T0 + 1), 2);
    assert.equal(await revokeFamily(ctx.db, 'fam-rev', T0 + 2), 0);
    assert.equal(await consumeRefreshToken(ctx.db, 'rt_rev', { id: 'x', sealed: null }, T0 + 3), false);
    assert.equal(await touchRefreshToken(ctx.db, 'rt_rev', T0 + 3, null), false);
    assert.equal((await findRefreshTokenById(ctx.db, 'rt_rev'))?.revoked_at, T0 + 1);
  });

  it('touch slides the idle expiry of a live token', async () => {
    await insertRefreshToken(ctx.db, token('rt_touch'));
    assert.equal(await touchRefreshToken(ctx.db, 'rt_touch', T0 + 7, T0 + 900), true);
    const row = await findRefreshTokenById(ctx.db, 'rt_touch');
    assert.equal(row?.last_used_at, T0 + 7);
    assert.equal(row?.idle_expires_at, T0 + 900);
  });

  it('supersede: of 10 racing retries of the previous token exactly one revokes the unused successor', async () => {
    await insertRefreshToken(ctx.db, token('rt_prev', { family_id: 'fam-s' }));
    await insertRefreshToken(ctx.db, token('rt_next', { family_id: 'fam-s', parent_id: 'rt_prev' }));
    assert.equal(
      await consumeRefreshToken(ctx.db, 'rt_prev', { id: 'rt_next', sealed: 'sealed' }, T0 + 1),
      true,
    );
    const prev = await findRefreshTokenById(ctx.db, 'rt_prev');
    assert.ok(prev);
    const n = await race(10, (i) => supersedeSuccessor(ctx.db, prev, `rt_retry-${i}`, T0 + 2));
    assert.equal(n, 1);
    assert.equal((await findRefreshTokenById(ctx.db, 'rt_next'))?.revoked_at, T0 + 2);
    const after = await findRefreshTokenById(ctx.db, 'rt_prev');
    assert.match(after?.replaced_by ?? '', /^rt_retry-\d$/);
    assert.equal(after?.successor_enc, null);
  });

  it('forgetSuccessor drops the sealed successor; revokeUserRefreshTokens counts', async () => {
    await insertRefreshToken(ctx.db, token('rt_f', { user_id: 'auth0|bob' }));
    await consumeRefreshToken(ctx.db, 'rt_f', { id: 'rt_f2', sealed: 'sealed' }, T0 + 1);
    await forgetSuccessor(ctx.db, 'rt_f');
    assert.equal((await findRefreshTokenById(ctx.db, 'rt_f'))?.successor_enc, null);
    await insertRefreshToken(ctx.db, token('rt_f2', { user_id: 'auth0|bob' }));
    assert.equal(await revokeUserRefreshTokens(ctx.db, 'auth0|bob', T0 + 2), 2);
    assert.equal(await revokeUserRefreshTokens(ctx.db, 'auth0|bob', T0 + 3), 0);
  });

  it("consume with the parent: one statement uses the token and forgets the parent's sealed successor", async () => {
    await insertRefreshToken(ctx.db, token('rt_p', { family_id: 'fam-p' }));
    await consumeRefreshToken(ctx.db, 'rt_p', { id: 'rt_c', sealed: 'sealed-c' }, T0 + 1);
    await insertRefreshToken(ctx.db, token('rt_c', { family_id: 'fam-p', parent_id: 'rt_p' }));
    const n = await race(5, (i) =>
      consumeRefreshToken(ctx.db, 'rt_c', { id: `rt_g${i}`, sealed: `sealed-g${i}` }, T0 + 2, 'rt_p'),
    );
    assert.equal(n, 1);
    const parent = await findRefreshTokenById(ctx.db, 'rt_p');
    // The parent keeps its own rotation; only the sealed successor goes.
    assert.deepEqual(
      [parent?.rotated_at, parent?.replaced_by, parent?.last_used_at, parent?.successor_enc],
      [T0 + 1, 'rt_c', T0 + 1, null],
    );
    const child = await findRefreshTokenById(ctx.db, 'rt_c');
    assert.equal(child?.rotated_at, T0 + 2);
    assert.equal(child?.last_used_at, T0 + 2);
    assert.match(child?.replaced_by ?? '', /^rt_g\d$/);
    assert.equal(child?.successor_enc, `sealed-g${child?.replaced_by?.slice(4)}`);
    // A loser (the token already used) changes nothing of the token's own.
    assert.equal(
      await consumeRefreshToken(ctx.db, 'rt_c', { id: 'late', sealed: null }, T0 + 3, 'rt_p'),
      false,
    );
    assert.equal((await findRefreshTokenById(ctx.db, 'rt_c'))?.replaced_by, child?.replaced_by);
  });

  it('rotate in one statement (PostgreSQL): of 10 racing rotations one writes its successor and event, the others nothing', async (t) => {
    if (ctx.kind !== 'postgres') return t.skip('PostgreSQL only: SQLite rotates in a transaction');
    await insertRefreshToken(ctx.db, token('rt_1p', { family_id: 'fam-1' }));
    await consumeRefreshToken(ctx.db, 'rt_1p', { id: 'rt_1c', sealed: 'sealed-c' }, T0 + 1);
    await insertRefreshToken(ctx.db, token('rt_1c', { family_id: 'fam-1', parent_id: 'rt_1p' }));
    const rotation = (i: number) => ({
      id: 'rt_1c',
      parentId: 'rt_1p',
      now: T0 + 2,
      sealed: `sealed-n${i}`,
      successor: token(`rt_1n${i}`, { family_id: 'fam-1', parent_id: 'rt_1c', created_at: T0 + 2 }),
      event: { id: `ev_1n${i}`, date: T0 + 2, type: 'sertft', user_id: 'auth0|alice', details: { i } },
    });
    assert.equal(await race(10, (i) => rotateInOneStatement(ctx.db, rotation(i))), 1);
    const used = await findRefreshTokenById(ctx.db, 'rt_1c');
    const winner = used?.replaced_by?.slice('rt_1n'.length);
    assert.equal(used?.rotated_at, T0 + 2);
    assert.equal(used?.successor_enc, `sealed-n${winner}`);
    assert.equal((await findRefreshTokenById(ctx.db, 'rt_1p'))?.successor_enc, null);
    const family = await ctx.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('family_id', '=', 'fam-1')
      .execute();
    assert.deepEqual(family.map((r) => r.id).sort(), ['rt_1c', `rt_1n${winner}`, 'rt_1p']);
    const successor = await findRefreshTokenById(ctx.db, `rt_1n${winner}`);
    assert.deepEqual(successor, { ...rotation(Number(winner)).successor, successor_enc: null });
    const events = await listEvents(ctx.db, { type: 'sertft' });
    assert.deepEqual(
      events.map((e) => [e.id, e.user_id, e.details]),
      [[`ev_1n${winner}`, 'auth0|alice', { i: Number(winner) }]],
    );
  });

  it('rotate in one statement (PostgreSQL): when the event cannot be written, nothing is', async (t) => {
    if (ctx.kind !== 'postgres') return t.skip('PostgreSQL only: SQLite rotates in a transaction');
    const original = token('rt_2', { family_id: 'fam-2' });
    await insertRefreshToken(ctx.db, original);
    await insertEvent(ctx.db, { id: 'ev_taken', date: T0, type: 'sertft' });
    const rotation = {
      id: 'rt_2',
      parentId: null,
      now: T0 + 2,
      sealed: 'sealed',
      successor: token('rt_2n', { family_id: 'fam-2', parent_id: 'rt_2' }),
      event: { id: 'ev_taken', date: T0 + 2, type: 'sertft' },
    };
    // An event id already taken: the statement fails as a whole.
    await rejectsUnique(rotateInOneStatement(ctx.db, rotation), 'events', ['id']);
    assert.deepEqual(await findRefreshTokenById(ctx.db, 'rt_2'), {
      ...original,
      parent_id: null,
      successor_enc: null,
    });
    assert.equal(await findRefreshTokenById(ctx.db, 'rt_2n'), undefined);
    assert.equal(
      await rotateInOneStatement(ctx.db, { ...rotation, event: { ...rotation.event, id: 'ev_2' } }),
      true,
    );
    assert.equal((await findRefreshTokenById(ctx.db, 'rt_2n'))?.parent_id, 'rt_2');
  });
});
