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

  it('reads share one deep-frozen value: changing it throws; a put is seen by the next read', async () => {
    await putSetting(ctx.db, 'shared', { list: [1], nested: { deep: { v: 1 } } });
    const a = await getSetting<{ list: number[]; nested: { deep: { v: number } } }>(ctx.db, 'shared');
    const b = await getSetting(ctx.db, 'shared');
    assert.equal(a, b);
    assert.ok(a && Object.isFrozen(a) && Object.isFrozen(a.list) && Object.isFrozen(a.nested.deep));
    assert.throws(() => (a.list as number[]).push(2), TypeError);
    assert.throws(() => {
      (a.nested.deep as { v: number }).v = 2;
    }, TypeError);
    assert.deepEqual(await getSetting(ctx.db, 'shared'), { list: [1], nested: { deep: { v: 1 } } });
    await putSetting(ctx.db, 'shared', { list: [2] });
    assert.deepEqual(await getSetting(ctx.db, 'shared'), { list: [2] });
    // The tenant settings when never written: frozen too.
    assert.ok(Object.isFrozen(await getTenantSettings(ctx.db)));
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
