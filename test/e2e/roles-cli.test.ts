import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTessera } from '../helpers/cli.js';

const API = 'https://api.acme.test/orders';
const TENANT = `
connections:
  - name: customers
    strategy: auth0
resourceServers:
  - identifier: ${API}
    enforce_policies: true
    scopes:
      - value: read:orders
      - value: write:orders
users:
  - connection: customers
    user_id: auth0|ann
    email: ann@acme.test
    password: Ann-pw-1234
`;

describe('tessera roles, end to end', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const tessera = (args: string[]) => runTessera(args, env);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-roles-'));
    env = {
      ...process.env,
      TESSERA_DATA_DIR: dir,
      TESSERA_SECRET: 'x'.repeat(40),
      TESSERA_LOG_LEVEL: 'warn',
      TESSERA_ISSUER: 'https://auth.acme.test/',
    };
    delete env.TESSERA_DATABASE_URL;
    writeFileSync(join(dir, 'tenant.yaml'), TENANT);
    const r = await tessera(['apply', join(dir, 'tenant.yaml')]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a role, gives it scopes, assigns and unassigns it, deletes it', async () => {
    assert.equal((await tessera(['roles', 'create', 'reader', '--description', 'Reads'])).code, 0);
    let r = await tessera(['roles', 'add-permissions', 'reader', API, 'read:orders']);
    assert.equal(r.stdout, `reader: ${API} read:orders\n`, r.stderr);
    r = await tessera(['roles', 'add-permissions', 'reader', API, 'drop:orders']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /defines no scope "drop:orders"/);
    r = await tessera(['roles', 'assign', 'ann@acme.test', 'reader']);
    assert.equal(r.stdout, 'auth0|ann: reader\n', r.stderr);
    r = await tessera(['roles', 'list']);
    assert.equal(r.stdout, `reader — Reads: ${API} read:orders\n`);
    r = await tessera(['roles', 'unassign', 'auth0|ann', 'reader']);
    assert.equal(r.stdout, 'auth0|ann: (no roles)\n');
    assert.equal((await tessera(['roles', 'delete', 'reader'])).code, 0);
    assert.equal((await tessera(['roles', 'list'])).stdout, '');
  });
});
