import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { action } from '../../src/cli/context.js';

describe('CLI errors', () => {
  it('a full disk is named, not reported as the driver terse text', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => {
      written.push(s);
      return true;
    }) as typeof process.stderr.write;
    const code = process.exitCode;
    try {
      await action(async () => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      })();
    } finally {
      process.stderr.write = write;
    }
    assert.equal(process.exitCode, 1);
    process.exitCode = code;
    assert.deepEqual(written, [
      'tessera: database or disk is full: the disk holding the SQLite database is full (SQLITE_FULL): free space on its volume (or raise PRAGMA max_page_count)\n',
    ]);
  });
});
