import assert from 'node:assert/strict';
import { it } from 'node:test';
import { getSetting, getTenantSettings, putSetting } from '../../src/store/repos/settings.js';
import { AWKWARD, contract, NESTED_JSON, nulBehaviour } from './contract.js';

contract('settings', (ctx) => {
  it('round-trips JSON values of every shape', async () => {
    const values: [string, unknown][] = [
      ['object', NESTED_JSON],
      ['array', []],
      ['empty', {}],
      ['string', AWKWARD.astral],
      ['number', 1.25],
      ['false', false],
      ['null', null],
    ];
    for (const [key, value] of values) await putSetting(ctx.db, key, value);
    for (const [key, value] of values) assert.deepEqual(await getSetting(ctx.db, key), value, key);
    assert.equal(await getSetting(ctx.db, 'never-written'), undefined);
  });

  it('a put replaces; keys may be any unicode', async () => {
    await putSetting(ctx.db, AWKWARD.rtl, { v: 1 });
    await putSetting(ctx.db, AWKWARD.rtl, { v: 2 });
    assert.deepEqual(await getSetting(ctx.db, AWKWARD.rtl), { v: 2 });
  });

  it('every read is a fresh copy: a caller changing it changes nothing stored', async () => {
    await putSetting(ctx.db, 'fresh', { list: [1] });
    const a = await getSetting<{ list: number[] }>(ctx.db, 'fresh');
    a?.list.push(2);
    assert.deepEqual(await getSetting(ctx.db, 'fresh'), { list: [1] });
  });

  it('the tenant settings: {} until written', async () => {
    assert.deepEqual(await getTenantSettings(ctx.db), {});
    await putSetting(ctx.db, 'tenant', { friendly_name: AWKWARD.zwj, issuer: 'https://t.example/' });
    assert.deepEqual(await getTenantSettings(ctx.db), {
      friendly_name: AWKWARD.zwj,
      issuer: 'https://t.example/',
    });
  });

  it('NUL in a key: PostgreSQL refuses it, SQLite stores it; in a value (JSON) both keep it', async () => {
    await nulBehaviour(
      ctx,
      () => putSetting(ctx.db, 'k\u0000', 1),
      () => getSetting(ctx.db, 'k\u0000'),
      1,
    );
    await putSetting(ctx.db, 'nul-value', 'a\u0000b');
    assert.equal(await getSetting(ctx.db, 'nul-value'), 'a\u0000b');
  });

  it('JSON keeps a lone surrogate (escaped as \\ud800), unlike a text column', async () => {
    await putSetting(ctx.db, 'lone', 'x\uD800y');
    assert.equal(await getSetting(ctx.db, 'lone'), 'x\uD800y');
  });
});
