import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type Client,
  deleteClient,
  findClient,
  listClients,
  upsertClient,
} from '../../src/store/repos/clients.js';
import { AWKWARD, AWKWARD_ALL, contract, NESTED_JSON, nulBehaviour, T0 } from './contract.js';

contract('clients', (ctx) => {
  const client = (id: string, extra: Partial<Client> = {}): Client => ({
    client_id: id,
    name: id,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['password'],
    ...extra,
  });

  it('round-trips the whole client object (JSON), with its secret hash', async () => {
    const c = client('c-round', {
      name: AWKWARD_ALL,
      grant_types: [],
      jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 36000 },
      refresh_token: { rotation_type: 'rotating', nested: NESTED_JSON },
      client_metadata: { [AWKWARD.rtl]: AWKWARD.astral },
      is_first_party: true,
      custom: { list: [], obj: {} },
    });
    await upsertClient(ctx.db, c, 'sha256$abc', T0);
    assert.deepEqual(await findClient(ctx.db, 'c-round'), { client: c, secretHash: 'sha256$abc' });
    assert.equal(await findClient(ctx.db, 'missing'), undefined);
  });

  it('an upsert replaces the object; an undefined secret keeps the hash, null removes it', async () => {
    await upsertClient(ctx.db, client('c-up'), 'h1', T0);
    await upsertClient(ctx.db, client('c-up', { name: 'renamed' }), undefined, T0 + 1);
    assert.deepEqual(await findClient(ctx.db, 'c-up'), {
      client: client('c-up', { name: 'renamed' }),
      secretHash: 'h1',
    });
    await upsertClient(ctx.db, client('c-up', { token_endpoint_auth_method: 'none' }), null, T0 + 2);
    assert.deepEqual(await findClient(ctx.db, 'c-up'), {
      client: client('c-up', { token_endpoint_auth_method: 'none' }),
      secretHash: null,
    });
  });

  it('lists by client_id; deletes', async () => {
    for (const id of ['l-c', 'l-a', 'l-b']) await upsertClient(ctx.db, client(id), null, T0);
    const ids = (await listClients(ctx.db)).map((r) => r.client.client_id);
    assert.deepEqual(ids, [...ids].sort());
    assert.deepEqual(
      ids.filter((id) => id.startsWith('l-')),
      ['l-a', 'l-b', 'l-c'],
    );
    await deleteClient(ctx.db, 'l-b');
    assert.equal(await findClient(ctx.db, 'l-b'), undefined);
  });

  it('NUL outside JSON (the client_id): PostgreSQL refuses it, SQLite stores it', async () => {
    await nulBehaviour(
      ctx,
      () => upsertClient(ctx.db, client('c\u0000nul'), null, T0),
      async () => (await listClients(ctx.db)).some((r) => r.client.client_id === 'c\u0000nul'),
      true,
    );
    // Inside the JSON config, NUL is escaped: both keep it.
    await upsertClient(ctx.db, client('c-nul-json', { name: 'a\u0000b' }), null, T0);
    assert.equal((await findClient(ctx.db, 'c-nul-json'))?.client.name, 'a\u0000b');
  });
});
