import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compiled } from '../../src/store/compiled.js';
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
});
