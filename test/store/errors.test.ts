import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NulInText, toStoreError, UniqueViolation, ValueTooLong } from '../../src/store/errors.js';
import { insertOutbox, listOutbox } from '../../src/store/repos/outbox.js';
import { contract, rejectsUnique, T0 } from './contract.js';

const driverError = (props: Record<string, unknown>, message = 'driver') =>
  Object.assign(new Error(message), props);

describe('toStoreError', () => {
  it('SQLite unique and primary keys', () => {
    const e = toStoreError(
      driverError(
        { code: 'SQLITE_CONSTRAINT_UNIQUE' },
        'UNIQUE constraint failed: users.connection_id, users.email_lower',
      ),
    );
    assert.ok(e instanceof UniqueViolation);
    assert.equal(e.table, 'users');
    assert.deepEqual(e.columns, ['connection_id', 'email_lower']);
    const pk = toStoreError(
      driverError({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, 'UNIQUE constraint failed: outbox.id'),
    );
    assert.ok(pk instanceof UniqueViolation);
    assert.deepEqual([pk.table, pk.columns], ['outbox', ['id']]);
    // An index on expressions names the index only.
    const idx = toStoreError(
      driverError({ code: 'SQLITE_CONSTRAINT_UNIQUE' }, "UNIQUE constraint failed: index 'by_lower'"),
    );
    assert.ok(idx instanceof UniqueViolation);
    assert.deepEqual([idx.table, idx.columns], ['', []]);
  });

  it('PostgreSQL unique keys, NUL and over-long strings; the driver error is the cause', () => {
    const raw = driverError(
      { code: '23505', table: 'users', detail: 'Key (connection_id, email_lower)=(c1, a@x) already exists.' },
      'duplicate key value violates unique constraint "users_connection_email"',
    );
    const e = toStoreError(raw);
    assert.ok(e instanceof UniqueViolation);
    assert.deepEqual([e.table, e.columns, e.cause], ['users', ['connection_id', 'email_lower'], raw]);
    assert.ok(!e.message.includes('a@x'), 'the key’s values stay out of the message');
    assert.ok(
      toStoreError(
        driverError({ code: '22021' }, 'invalid byte sequence for encoding "UTF8": 0x00'),
      ) instanceof NulInText,
    );
    const long = toStoreError(
      driverError({ code: '22001' }, 'value too long for type character varying(16)'),
    );
    assert.ok(long instanceof ValueTooLong);
    assert.equal(long.limit, 16);
  });

  it('passes every other error as it is', () => {
    for (const raw of [
      driverError({ code: 'SQLITE_CONSTRAINT_NOTNULL' }),
      driverError({ code: '23503' }),
      driverError({ code: '22021' }, 'invalid byte sequence for encoding "UTF8": 0xc3 0x28'),
      new Error('plain'),
    ]) {
      assert.equal(toStoreError(raw), raw);
    }
    assert.equal(toStoreError('a string'), 'a string');
  });
});

contract('store errors', (ctx) => {
  const msg = (id: string) => ({
    id,
    channel: 'email',
    recipient: 'errors@example.com',
    subject: null,
    body: 'b',
    created_at: T0,
    expires_at: null,
    sealed: 0,
  });

  it('a unique violation in a transaction rolls it back; the store stays usable', async () => {
    await insertOutbox(ctx.db, msg('e1'));
    await rejectsUnique(
      ctx.db.transaction().execute(async (trx) => {
        await insertOutbox(trx, msg('e2'));
        await insertOutbox(trx, msg('e1'));
      }),
      'outbox',
      ['id'],
    );
    assert.deepEqual(
      (await listOutbox(ctx.db, { recipient: 'errors@example.com' })).map((m) => m.id),
      ['e1'],
    );
    await insertOutbox(ctx.db, msg('e2'));
  });

  it('errors the contract does not name stay the driver’s (a NOT NULL column)', async () => {
    await assert.rejects(
      insertOutbox(ctx.db, { ...msg('e3'), body: null as unknown as string }),
      (e: unknown) => {
        assert.ok(e instanceof Error && !(e instanceof UniqueViolation));
        assert.match(e.message, /NOT NULL|not-null/);
        return true;
      },
    );
  });
});
