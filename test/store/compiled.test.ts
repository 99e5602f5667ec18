import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compiled } from '../../src/store/compiled.js';
import { UniqueViolation } from '../../src/store/errors.js';
import { insertEvent, listEvents } from '../../src/store/repos/events.js';
import { contract, T0 } from './contract.js';

contract('compiled queries', (ctx) => {
  const bySetting = compiled((db, p) =>
    db.selectFrom('settings').select(['key', 'value']).where('key', '=', p(0)).where('value', '<>', 'never'),
  );

  it('each call runs with its own arguments; the constants of the query stay', async () => {
    await ctx.db
      .insertInto('settings')
      .values([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'c', value: 'never' },
      ])
      .execute();
    assert.deepEqual((await bySetting.execute(ctx.db, 'a')).rows, [{ key: 'a', value: '1' }]);
    assert.deepEqual((await bySetting.execute(ctx.db, 'b')).rows, [{ key: 'b', value: '2' }]);
    assert.deepEqual((await bySetting.execute(ctx.db, 'c')).rows, []);
  });

  it('runs inside a transaction, which rolls back with it', async () => {
    const write = compiled((db, p) => db.insertInto('settings').values({ key: p(0), value: p(1) }));
    await assert.rejects(
      ctx.db.transaction().execute(async (trx) => {
        await write.execute(trx, 'in-trx', 'x');
        assert.equal((await bySetting.execute(trx, 'in-trx')).rows.length, 1);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual((await bySetting.execute(ctx.db, 'in-trx')).rows, []);
  });

  it('an argument used twice is bound in both places', async () => {
    const both = compiled((db, p) =>
      db.selectFrom('settings').select('key').where('key', '=', p(0)).where('value', '=', p(0)),
    );
    await ctx.db.insertInto('settings').values({ key: 'same', value: 'same' }).execute();
    assert.deepEqual((await both.execute(ctx.db, 'same')).rows, [{ key: 'same' }]);
  });

  it('the compiled audit INSERT keeps every field (awkward text made storable)', async () => {
    await insertEvent(ctx.db, {
      id: 'evt_c1',
      date: T0,
      type: 'sertft',
      description: null,
      client_id: 'app',
      user_name: 'u\u0000ser',
      ip: '10.0.0.1',
      details: { scope: 'a b' },
    });
    const [e] = await listEvents(ctx.db, { type: 'sertft' });
    assert.equal(e?.id, 'evt_c1');
    assert.equal(e?.date, T0);
    assert.equal(e?.client_id, 'app');
    assert.equal(e?.client_name, null);
    assert.equal(e?.user_name, 'u\uFFFDser');
    assert.deepEqual(e?.details, { scope: 'a b' });
  });

  const write = compiled((db, p) => db.insertInto('settings').values({ key: p(0), value: p(1) }));
  const count = async (key: string) => (await bySetting.execute(ctx.db, key)).rows.length;

  it('a write started outside while a transaction awaits neither joins it nor rolls back with it', async () => {
    let outside: Promise<unknown> | undefined;
    await assert.rejects(
      ctx.db.transaction().execute(async (trx) => {
        await write.execute(trx, 'trx-inside', 'x');
        outside = write.execute(ctx.db, 'trx-outside', 'y');
        await new Promise((resolve) => setTimeout(resolve, 20));
        // SQLite: not inside the transaction (which would see it): it waits for the one connection.
        // (PostgreSQL runs it on another connection, committed at once.)
        if (ctx.kind === 'sqlite') assert.deepEqual((await bySetting.execute(trx, 'trx-outside')).rows, []);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    await outside;
    assert.equal(await count('trx-inside'), 0);
    assert.equal(await count('trx-outside'), 1);
  });

  it('outside a transaction it does not wait for a connection held by other work (SQLite: runs directly)', {
    timeout: 10_000,
  }, async () => {
    await write.execute(ctx.db, 'held', 'h');
    // Kysely's SQLite driver has one connection: its executor would wait here until the callback ended.
    const rows = await ctx.db
      .connection()
      .execute(async () => (await bySetting.execute(ctx.db, 'held')).rows);
    assert.deepEqual(rows, [{ key: 'held', value: 'h' }]);
  });

  it("a write's answer: affected rows, and the rows a RETURNING gives", async () => {
    const result = await write.execute(ctx.db, 'answer', 'a');
    assert.equal(result.numAffectedRows, 1n);
    assert.deepEqual(result.rows, []);
    const update = compiled((db, p) =>
      db
        .updateTable('settings')
        .set({ value: p(1) })
        .where('key', '=', p(0))
        .returning(['key', 'value']),
    );
    const updated = await update.execute(ctx.db, 'answer', 'b');
    assert.deepEqual(updated.rows, [{ key: 'answer', value: 'b' }]);
    const none = compiled((db, p) => db.deleteFrom('settings').where('key', '=', p(0)));
    assert.equal((await none.execute(ctx.db, 'no-such-key')).numAffectedRows, 0n);
  });

  it("a duplicate key is the contract's UniqueViolation, outside a transaction and in one", async () => {
    await write.execute(ctx.db, 'dup', '1');
    const unique = (e: unknown) => {
      assert.ok(e instanceof UniqueViolation, String(e));
      assert.equal(e.table, 'settings');
      assert.deepEqual(e.columns, ['key']);
      return true;
    };
    await assert.rejects(write.execute(ctx.db, 'dup', '2'), unique);
    await assert.rejects(
      ctx.db.transaction().execute((trx) => write.execute(trx, 'dup', '3')),
      unique,
    );
    assert.deepEqual((await bySetting.execute(ctx.db, 'dup')).rows, [{ key: 'dup', value: '1' }]);
  });
});
