import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  deleteResourceServer,
  findResourceServer,
  listResourceServers,
  type ResourceServer,
  upsertResourceServer,
} from '../../src/store/repos/resource-servers.js';
import {
  AWKWARD,
  AWKWARD_ALL,
  contract,
  NESTED_JSON,
  rejectsUnique,
  T0,
  tooLongBehaviour,
} from './contract.js';

contract('resource-servers', (ctx) => {
  const api = (id: string, extra: Partial<ResourceServer> = {}): ResourceServer => ({
    id,
    identifier: `https://${id}.example.com/`,
    scopes: [],
    ...extra,
  });

  it('round-trips the API object (JSON), found by identifier', async () => {
    const rs = api('rs_round', {
      name: AWKWARD_ALL,
      scopes: [{ value: 'read:orders', description: AWKWARD.rtl }, { value: AWKWARD.astral }],
      signing_alg: 'RS256',
      token_lifetime: 86400,
      allow_offline_access: true,
      enforce_policies: false,
      extra: NESTED_JSON,
    });
    await upsertResourceServer(ctx.db, rs, T0);
    assert.deepEqual(await findResourceServer(ctx.db, rs.identifier), rs);
    // Empty scopes stay an empty array.
    await upsertResourceServer(ctx.db, api('rs_empty'), T0);
    assert.deepEqual((await findResourceServer(ctx.db, 'https://rs_empty.example.com/'))?.scopes, []);
  });

  it('an upsert (by id) may change the identifier; another id taking it is a UniqueViolation', async () => {
    await upsertResourceServer(ctx.db, api('rs_a'), T0);
    await upsertResourceServer(ctx.db, api('rs_a', { identifier: 'urn:moved' }), T0 + 1);
    assert.equal(await findResourceServer(ctx.db, 'https://rs_a.example.com/'), undefined);
    assert.equal((await findResourceServer(ctx.db, 'urn:moved'))?.id, 'rs_a');
    await rejectsUnique(
      upsertResourceServer(ctx.db, api('rs_b', { identifier: 'urn:moved' }), T0),
      'resource_servers',
      ['identifier'],
    );
  });

  it('lists by identifier; deletes', async () => {
    for (const id of ['rs_l3', 'rs_l1', 'rs_l2']) await upsertResourceServer(ctx.db, api(id), T0);
    const ids = (await listResourceServers(ctx.db)).map((r) => r.identifier);
    assert.deepEqual(ids, [...ids].sort());
    await deleteResourceServer(ctx.db, 'rs_l2');
    assert.equal(await findResourceServer(ctx.db, 'https://rs_l2.example.com/'), undefined);
  });

  it('an identifier over varchar(1024): PostgreSQL refuses it, SQLite stores it', async () => {
    await tooLongBehaviour(ctx, 1024, () =>
      upsertResourceServer(ctx.db, api('rs_long', { identifier: `urn:${'x'.repeat(1100)}` }), T0),
    );
  });
});
