import assert from 'node:assert/strict';
import { it } from 'node:test';
import { insertEvent, listEvents, type LogEvent } from '../../src/store/repos/events.js';
import { AWKWARD, AWKWARD_ALL, contract, NESTED_JSON, rejectsUnique, T0 } from './contract.js';

contract('events', (ctx) => {
  it('round-trips every field, details JSON included; absent fields read as null', async () => {
    const e: LogEvent = {
      id: 'ev_round',
      date: T0,
      type: 's',
      description: AWKWARD_ALL,
      client_id: 'acme-web',
      client_name: AWKWARD.rtl,
      connection: 'Username-Password-Authentication',
      connection_id: 'con_customers',
      user_id: 'auth0|round',
      user_name: AWKWARD.astral,
      ip: '2001:db8::1',
      client_ip: '203.0.113.9',
      user_agent: AWKWARD.zwj,
      details: { nested: NESTED_JSON, empty: [] },
    };
    await insertEvent(ctx.db, e);
    // The audit writer makes text safe for every database: NUL reads back as U+FFFD, in details too.
    const safe = JSON.parse(JSON.stringify(e).replaceAll('\\u0000', '\\ufffd'));
    assert.deepEqual(await listEvents(ctx.db, { userId: 'auth0|round' }), [safe]);
    await insertEvent(ctx.db, { id: 'ev_bare', date: T0, type: 'fp' });
    assert.deepEqual(await listEvents(ctx.db, { type: 'fp' }), [
      {
        id: 'ev_bare',
        date: T0,
        type: 'fp',
        description: null,
        client_id: null,
        client_name: null,
        connection: null,
        connection_id: null,
        user_id: null,
        user_name: null,
        ip: null,
        client_ip: null,
        user_agent: null,
        details: null,
      },
    ]);
  });

  it('an id is unique: UniqueViolation', async () => {
    await insertEvent(ctx.db, { id: 'ev_u', date: T0, type: 's' });
    await rejectsUnique(insertEvent(ctx.db, { id: 'ev_u', date: T0, type: 's' }), 'events', ['id']);
  });

  it('lists newest written first (not by date), limited, filtered by type and user', async () => {
    for (let i = 0; i < 5; i++) {
      await insertEvent(ctx.db, { id: `ev_o${i}`, date: T0 - i, type: 'sv', user_id: 'auth0|order' });
    }
    await insertEvent(ctx.db, { id: 'ev_other', date: T0, type: 'f', user_id: 'auth0|order' });
    assert.deepEqual(
      (await listEvents(ctx.db, { type: 'sv', limit: 3 })).map((e) => e.id),
      ['ev_o4', 'ev_o3', 'ev_o2'],
    );
    assert.deepEqual(
      (await listEvents(ctx.db, { userId: 'auth0|order', limit: 2 })).map((e) => e.id),
      ['ev_other', 'ev_o4'],
    );
    assert.equal((await listEvents(ctx.db)).length <= 50, true);
  });

  it('10 racing inserts all land, each once', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => insertEvent(ctx.db, { id: `ev_r${i}`, date: T0, type: 'race' })),
    );
    const ids = (await listEvents(ctx.db, { type: 'race' })).map((e) => e.id);
    assert.deepEqual(
      [...ids].sort(),
      Array.from({ length: 10 }, (_, i) => `ev_r${i}`),
    );
  });

  it('NUL in a user agent or in details: the audit writer never fails on it, and stores U+FFFD on both databases', async () => {
    await insertEvent(ctx.db, { id: 'ev_nul', date: T0, type: 'nul', user_agent: 'UA\u0000' });
    assert.equal((await listEvents(ctx.db, { type: 'nul' }))[0]?.user_agent, 'UA\uFFFD');
    await insertEvent(ctx.db, { id: 'ev_nul_json', date: T0, type: 'nul-json', details: { s: '\u0000' } });
    assert.deepEqual((await listEvents(ctx.db, { type: 'nul-json' }))[0]?.details, { s: '\uFFFD' });
  });
});
