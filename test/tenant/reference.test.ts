import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/db.js';
import { getSetting } from '../../src/store/repos/settings.js';
import { applyTenant } from '../../src/tenant/apply.js';
import { parseTenantFile } from '../../src/tenant/parse.js';
import { storeKinds } from '../helpers/stores.js';
import { ENV, exampleText } from './helpers.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the tenant-file reference (docs/tenant-reference.yaml)', () => {
  it('is what the README links, and the README links nothing outside the repository', () => {
    assert.match(README, /\]\(docs\/tenant-reference\.yaml\)/);
    for (const [, target] of README.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      assert.ok(!target!.startsWith('../'), `README links ${target}, outside the repository`);
      assert.ok(
        existsSync(new URL(`../../${target}`, import.meta.url)),
        `README links ${target}, which is missing`,
      );
    }
  });

  it('names every variable it uses in its header', () => {
    // The variables of values, not of comments.
    const values = exampleText
      .split('\n')
      .map((l) => l.replace(/(^|\s)#.*$/, ''))
      .join('\n');
    const used = new Set([...values.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!));
    const header = exampleText.slice(0, exampleText.indexOf('\ntenant:'));
    for (const v of used) assert.ok(header.includes(v), `the header does not name ${v}`);
    assert.deepEqual(Object.keys(ENV).sort(), [...used].sort());
  });
});

for (const kind of storeKinds) {
  describe(`the tenant-file reference applies (${kind.name})`, () => {
    let store: Store;
    before(async () => {
      store = await kind.open();
    });
    after(() => store.close());

    it('every section and field of it, then again with no change', async () => {
      const first = await applyTenant(store, parseTenantFile(exampleText, ENV), { now: 1 });
      assert.equal(first.created.length, 16);
      for (const key of [
        'tenant',
        'rules',
        'actions',
        'rulesConfigs',
        'clientGrants',
        'guardian',
        'attackProtection',
        'emailTemplates',
      ])
        assert.notEqual(await getSetting(store.db, key), undefined, key);
      const again = await applyTenant(store, parseTenantFile(exampleText, ENV), { prune: true, now: 2 });
      assert.deepEqual(again, { created: [], updated: [], deleted: [], unchanged: 16 });
    });
  });
}
