import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { remainingMs, scopeDeadlines, withDeadline } from '../../src/store/deadline.js';

const PROBE = fileURLToPath(new URL('./fixtures/promise-hooks.ts', import.meta.url));

describe('request deadlines and the async context', () => {
  it('a SQLite Tessera migrating, logging in and refreshing turns on no promise hooks', async () => {
    // A process of its own: node:test enters an AsyncLocalStorage, which turns them on here.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE], {
      env: { ...process.env, TESSERA_TEST_PG: 'off' },
    });
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop()!), {
      before: false,
      after: false,
      statuses: [200, 200],
    });
  });

  it('unscoped, a deadline is not the async context; once a store scopes deadlines it is', async () => {
    await withDeadline(1000, async () => {
      await null;
      assert.equal(remainingMs(), undefined);
    });
    scopeDeadlines();
    await withDeadline(1000, async () => {
      await null;
      const left = remainingMs();
      assert.ok(left !== undefined && left > 0 && left <= 1000, `remainingMs() = ${left}`);
    });
    assert.equal(remainingMs(), undefined, 'outside the request');
  });
});
