import assert from 'node:assert/strict';
import { it } from 'node:test';
import { insertOutbox, listOutbox, type OutboxRow } from '../../src/store/repos/outbox.js';
import {
  AWKWARD,
  AWKWARD_ALL,
  contract,
  nulBehaviour,
  rejectsUnique,
  T0,
  tooLongBehaviour,
} from './contract.js';

contract('outbox', (ctx) => {
  const msg = (id: string, extra: Partial<OutboxRow> = {}): OutboxRow => ({
    id,
    channel: 'email',
    recipient: 'alice@example.com',
    subject: null,
    body: 'Your code is 123456',
    created_at: T0,
    expires_at: null,
    sealed: 0,
    ...extra,
  });

  it('round-trips every field; an id is unique', async () => {
    const m = msg('m_round', { recipient: 'round@example.com', subject: AWKWARD.rtl, body: AWKWARD_ALL });
    await insertOutbox(ctx.db, m);
    assert.deepEqual(await listOutbox(ctx.db, { recipient: 'round@example.com' }), [m]);
    await rejectsUnique(insertOutbox(ctx.db, m), 'outbox', ['id']);
  });

  it('lists newest first (ties by id, descending), limited, for one recipient', async () => {
    const r = 'order@example.com';
    await insertOutbox(ctx.db, msg('m_a', { recipient: r, created_at: T0 + 1 }));
    await insertOutbox(ctx.db, msg('m_b', { recipient: r, created_at: T0 + 1 }));
    await insertOutbox(ctx.db, msg('m_c', { recipient: r, created_at: T0 }));
    await insertOutbox(ctx.db, msg('m_d', { recipient: r, created_at: T0 + 2 }));
    assert.deepEqual(
      (await listOutbox(ctx.db, { recipient: r })).map((m) => m.id),
      ['m_d', 'm_b', 'm_a', 'm_c'],
    );
    assert.deepEqual(
      (await listOutbox(ctx.db, { recipient: r, limit: 2 })).map((m) => m.id),
      ['m_d', 'm_b'],
    );
    assert.ok((await listOutbox(ctx.db)).length <= 20);
  });

  it('NUL in a body: PostgreSQL refuses it, SQLite stores it', async () => {
    await nulBehaviour(
      ctx,
      () => insertOutbox(ctx.db, msg('m_nul', { recipient: 'nul@example.com', body: 'a\u0000b' })),
      async () => (await listOutbox(ctx.db, { recipient: 'nul@example.com' }))[0]?.body,
      'a\u0000b',
    );
  });

  it('a channel over varchar(16): PostgreSQL refuses it, SQLite stores it', async () => {
    await tooLongBehaviour(ctx, 16, () => insertOutbox(ctx.db, msg('m_long', { channel: 'x'.repeat(17) })));
  });

  it('a lone surrogate is not kept by a text column (both replace it with U+FFFD, differently)', async () => {
    await insertOutbox(ctx.db, msg('m_lone', { recipient: 'lone@example.com', body: 'x\uD800y' }));
    const body = (await listOutbox(ctx.db, { recipient: 'lone@example.com' }))[0]?.body;
    // SQLite: three U+FFFD (one per byte of the bad sequence); PostgreSQL: one.
    assert.equal(body, ctx.kind === 'sqlite' ? 'x\uFFFD\uFFFD\uFFFDy' : 'x\uFFFDy');
  });
});
