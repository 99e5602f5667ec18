import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/db.js';
import { findTicketByHash } from '../../src/store/repos/tickets.js';
import { runTessera } from '../helpers/cli.js';

const TENANT = `
connections:
  - name: customers
    strategy: auth0
users:
  - connection: customers
    user_id: auth0|ann
    email: ann@acme.test
    password: Ann-pw-1234
`;

describe('tessera tickets, end to end', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const tessera = (args: string[]) => runTessera(args, env);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-tickets-'));
    env = {
      ...process.env,
      TESSERA_DATA_DIR: dir,
      TESSERA_SECRET: 'x'.repeat(40),
      TESSERA_LOG_LEVEL: 'warn',
    };
    delete env.TESSERA_DATABASE_URL;
    env.TESSERA_ISSUER = 'https://auth.acme.test/';
    writeFileSync(join(dir, 'tenant.yaml'), TENANT);
    const r = await tessera(['apply', join(dir, 'tenant.yaml')]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a single-use reset link whose ticket is stored only hashed', async () => {
    const r = await tessera(['tickets', 'password-change', 'ann@acme.test', '--ttl-sec', '3600']);
    assert.equal(r.code, 0, r.stderr);
    const m = /^https:\/\/auth\.acme\.test\/lo\/reset\?ticket=([A-Za-z0-9_-]{43})\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.match(r.stderr, /^single use, for auth0\|ann, until /);
    const store = openStore(`sqlite:${join(dir, 'tessera.db')}`);
    try {
      const row = await findTicketByHash(store.db, createHash('sha256').update(m[1]!).digest('hex'));
      assert.equal(row?.kind, 'reset');
      assert.equal(row?.user_id, 'auth0|ann');
      assert.equal(row!.expires_at - row!.created_at, 3_600_000);
    } finally {
      await store.close();
    }
    const verify = await tessera(['tickets', 'email-verification', 'auth0|ann']);
    assert.match(verify.stdout, /^https:\/\/auth\.acme\.test\/lo\/verify_email\?ticket=[A-Za-z0-9_-]{43}\n$/);
  });

  it('says what is wrong: an unknown user, a bad --ttl-sec', async () => {
    const nobody = await tessera(['tickets', 'password-change', 'nobody@acme.test']);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /^tessera: no user "nobody@acme\.test"/);
    const ttl = await tessera(['tickets', 'password-change', 'ann@acme.test', '--ttl-sec', '5']);
    assert.equal(ttl.code, 1);
    assert.equal(
      ttl.stderr,
      'tessera: --ttl-sec must be a whole number of seconds from 60 to 2592000 (30 days)\n',
    );
  });
});
