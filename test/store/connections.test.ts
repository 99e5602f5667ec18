import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type Connection,
  deleteConnection,
  findConnectionById,
  findConnectionByName,
  listConnections,
  upsertConnection,
} from '../../src/store/repos/connections.js';
import { AWKWARD, AWKWARD_ALL, contract, NESTED_JSON, rejectsUnique, T0 } from './contract.js';

contract('connections', (ctx) => {
  const conn = (id: string, extra: Partial<Connection> = {}): Connection => ({
    id,
    name: id,
    strategy: 'auth0',
    enabled_clients: [],
    ...extra,
  });

  it('round-trips the connection object (JSON), found by id and by name', async () => {
    const c = conn('con_round', {
      name: `Kunden-${AWKWARD.rtl}`,
      realms: [AWKWARD.astral],
      options: { passwordPolicy: 'good', nested: NESTED_JSON, label: AWKWARD_ALL },
      enabled_clients: [],
    });
    await upsertConnection(ctx.db, c, T0);
    assert.deepEqual(await findConnectionById(ctx.db, 'con_round'), c);
    assert.deepEqual(await findConnectionByName(ctx.db, c.name), c);
    assert.equal(await findConnectionByName(ctx.db, 'missing'), undefined);
  });

  it('an upsert (by id) replaces name, strategy and options', async () => {
    await upsertConnection(ctx.db, conn('con_up', { options: { a: 1 } }), T0);
    await upsertConnection(ctx.db, conn('con_up', { name: 'renamed', strategy: 'custom' }), T0 + 1);
    assert.deepEqual(
      await findConnectionById(ctx.db, 'con_up'),
      conn('con_up', { name: 'renamed', strategy: 'custom' }),
    );
    assert.equal(await findConnectionByName(ctx.db, 'con_up'), undefined);
  });

  it('a name is unique: another id taking it is a UniqueViolation', async () => {
    await upsertConnection(ctx.db, conn('con_one', { name: 'shared' }), T0);
    await rejectsUnique(upsertConnection(ctx.db, conn('con_two', { name: 'shared' }), T0), 'connections', [
      'name',
    ]);
    assert.equal(await findConnectionById(ctx.db, 'con_two'), undefined);
  });

  it('lists by name; deletes', async () => {
    for (const n of ['zz-c', 'zz-a', 'zz-b'])
      await upsertConnection(ctx.db, conn(`con_${n}`, { name: n }), T0);
    const names = (await listConnections(ctx.db)).map((c) => c.name);
    assert.deepEqual(names, [...names].sort());
    await deleteConnection(ctx.db, 'con_zz-b');
    assert.equal(await findConnectionById(ctx.db, 'con_zz-b'), undefined);
    assert.ok(!(await listConnections(ctx.db)).some((c) => c.name === 'zz-b'));
  });
});
