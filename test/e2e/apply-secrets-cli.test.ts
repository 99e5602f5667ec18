import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTessera } from '../helpers/cli.js';

const VALUE = 'third-party-api-key-5d2e';
const TENANT = `
rulesConfigs:
  - key: PARTNER_KEY
    value: ${VALUE}
`;

/**
 * `tessera apply` seals rules-config values and action secrets as the
 * server does, so it needs the server's secret: without TESSERA_SECRET (and
 * no development secret of `tessera dev`) it refuses such a file by name
 * instead of writing the secrets in the clear.
 */
describe('tessera apply: secrets of the tenant file are sealed at rest', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-apply-secrets-'));
    env = { ...process.env, TESSERA_DATA_DIR: dir, TESSERA_LOG_LEVEL: 'warn' };
    delete env.TESSERA_DATABASE_URL;
    delete env.TESSERA_SECRET;
    writeFileSync(join(dir, 'tenant.yaml'), TENANT);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses without TESSERA_SECRET; with it the database holds no value in the clear', async () => {
    const refused = await runTessera(['apply', join(dir, 'tenant.yaml')], env);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /action secrets or rules-config values, which are stored sealed: set TESSERA_SECRET/,
    );

    const applied = await runTessera(['apply', join(dir, 'tenant.yaml')], {
      ...env,
      TESSERA_SECRET: 's'.repeat(40),
    });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /created setting rulesConfigs/);
    // The value is nowhere in the database's files, WAL included.
    for (const file of ['tessera.db', 'tessera.db-wal']) {
      let bytes = '';
      try {
        bytes = readFileSync(join(dir, file), 'latin1');
      } catch {}
      assert.equal(bytes.includes(VALUE), false, `${file} holds the value in the clear`);
    }
    const again = await runTessera(['apply', join(dir, 'tenant.yaml')], {
      ...env,
      TESSERA_SECRET: 's'.repeat(40),
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^1 unchanged$/m);
    // The export writes a reference, never the value; reading the sealed setting takes the secret.
    const exported = await runTessera(['export'], { ...env, TESSERA_SECRET: 's'.repeat(40) });
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /value: \$\{RULES_CONFIG_PARTNER_KEY\}/);
    assert.equal(exported.stdout.includes(VALUE), false);
    const blind = await runTessera(['export'], env);
    assert.notEqual(blind.code, 0);
    assert.match(
      blind.stderr,
      /the setting rulesConfigs holds sealed secrets: set TESSERA_SECRET to read them/,
    );
  });
});
