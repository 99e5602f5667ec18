import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

// Runs in a fresh process (this test process has loaded isolated-vm already):
// a login without rules, then one with a rule, reporting each time whether
// isolated-vm has been loaded.
const CHILD = `
import { createRequire } from 'node:module';
const root = process.cwd();
const { startTestApp, tokenRequest, ALICE, SECRET } = await import(root + '/test/helpers/app.ts');
const { storeKinds } = await import(root + '/test/helpers/stores.ts');
const { putSetting } = await import(root + '/src/store/repos/settings.ts');
const cache = createRequire(import.meta.url).cache;
const loaded = () => Object.keys(cache).some((k) => k.includes('isolated-vm'));
const t = await startTestApp(storeKinds.find((k) => k.name === 'sqlite'));
const form = { grant_type: 'password', username: ALICE.email, password: ALICE.password, client_id: 'acme-web', client_secret: SECRET };
const out = [];
await putSetting(t.rt.store.db, 'rules', [{ name: 'off', enabled: false, script: 'function (u, c, cb) { cb(null, u, c); }' }]);
out.push([(await tokenRequest(t.app, form)).statusCode, loaded()]);
await putSetting(t.rt.store.db, 'rules', [{ name: 'on', script: 'function (u, c, cb) { cb(null, u, c); }' }]);
out.push([(await tokenRequest(t.app, form)).statusCode, loaded()]);
await t.close();
console.log(JSON.stringify(out));
`;

describe('rules on the hot path', () => {
  it('a login without enabled rules or actions never loads isolated-vm', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', CHILD],
      { env: { ...process.env, TESSERA_TEST_PG: 'off' } },
    );
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), [
      [200, false],
      [200, true],
    ]);
  });
});
