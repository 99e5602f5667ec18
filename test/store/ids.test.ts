import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rowId } from '../../src/store/ids.js';

describe('rowId', () => {
  it('is the prefix and a UUIDv7', () => {
    assert.match(rowId('rt'), /^rt_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('ids made one after another sort one after another, and never repeat', () => {
    const ids = Array.from({ length: 10_000 }, () => rowId('evt'));
    assert.deepEqual([...ids].sort(), ids, 'index entries append at the end');
    assert.equal(new Set(ids).size, ids.length);
  });

  it('carries the time it was made in its first 48 bits', () => {
    const before = Date.now();
    const id = rowId('rtf');
    const ms = Number.parseInt(id.slice(4, 17).replace('-', ''), 16);
    assert.ok(ms >= before && ms <= Date.now(), `${ms} not in [${before}, now]`);
  });
});
