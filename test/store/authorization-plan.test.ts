import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { migrate, openStore, type Store } from '../../src/store/db.js';
import { findUserForLogin } from '../../src/store/repos/login-read.js';
import { findRefreshTokenForGrant } from '../../src/store/repos/refresh-read.js';
import { userAuthorization } from '../../src/store/repos/roles.js';

/**
 * The hot reads of a user's authorization (every login and refresh) must
 * cost what the user holds, not what the tenant has: SQLite, which keeps no
 * statistics, must walk the user's roles and then each role's permissions on
 * the API by role_permissions' key, never every permission of the API (with
 * 200 roles of 20 permissions each, that read took 0.41 ms instead of 0.04).
 * Checked on SQLite's own plan of each statement.
 */
describe('SQLite plans the authorization reads from the user, not from the tenant', () => {
  let store: Store;
  const prepared: { db: SQLite.Database; sql: string }[] = [];
  const prepare = SQLite.prototype.prepare;
  before(async () => {
    store = openStore(':memory:');
    await migrate(store);
    SQLite.prototype.prepare = function (this: SQLite.Database, source: string) {
      prepared.push({ db: this, sql: source });
      return prepare.call(this, source);
    } as typeof prepare;
  });
  after(async () => {
    SQLite.prototype.prepare = prepare;
    await store.close();
  });

  /** SQLite's plan of every statement `read` prepares, one detail line per step. */
  async function plansOf(read: () => Promise<unknown>): Promise<string[][]> {
    prepared.length = 0;
    await read();
    const statements = prepared.splice(0);
    assert.ok(statements.length > 0, 'the read prepared no statement (cached before the spy?)');
    return statements.map(({ db, sql }) => {
      const params: string[] = Array((sql.match(/\?/g) ?? []).length).fill('x');
      const plan = prepare.call(db, `EXPLAIN QUERY PLAN ${sql}`) as SQLite.Statement<string[]>;
      const rows = plan.all(...params) as { detail: string }[];
      return rows.map((r) => r.detail);
    });
  }

  const reads: [string, () => Promise<unknown>][] = [
    ['userAuthorization', () => userAuthorization(store.db, 'auth0|u', 'rs_x')],
    ["a password login's user (login-read)", () => findUserForLogin(store.db, 'con', 'u@x.test', 'rs_x')],
    ["a refresh's token and user (refresh-read)", () => findRefreshTokenForGrant(store.db, 'hash')],
  ];
  for (const [name, read] of reads) {
    it(name, async () => {
      const steps = (await plansOf(read)).flat();
      const rp = steps.filter((s) => /\brp\b/.test(s));
      assert.ok(rp.length > 0, `role_permissions is read:\n${steps.join('\n')}`);
      for (const step of rp) assert.match(step, /\(role_id=\? AND resource_server_id=\?\)/, steps.join('\n'));
      const roles = steps.findIndex((s) => /^SEARCH ur2\b/.test(s));
      assert.ok(
        roles >= 0 && roles < steps.indexOf(rp[0]!),
        `the user's roles come first:\n${steps.join('\n')}`,
      );
    });
  }
});
