import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../../src/identity/passwords.js';
import { migrate, openStore } from '../../src/store/db.js';
import { insertAuthenticator } from '../../src/store/repos/mfa-authenticators.js';
import { findUserById } from '../../src/store/repos/users.js';
import { runTessera } from '../helpers/cli.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/auth0-users-export.json', import.meta.url));
const THREE_OF_4 =
  'at least 3 of: lower case letters (a-z), upper case letters (A-Z), numbers (0-9), special characters (e.g. !@#$%^&*)';

const TENANT = `
connections:
  - name: customers
    strategy: auth0
    options: { password_policy: good }
  - name: staff
    strategy: auth0
    options: { password_policy: excellent }
`;

describe('tessera users, end to end', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let annId: string;
  let staffId: string;

  /** Runs `tessera <args>`, writing `input` to its standard input. */
  const tessera = (args: string[], input = '') => runTessera(args, env, input);

  async function storedHash(userId: string): Promise<string> {
    const store = openStore(`sqlite:${join(dir, 'tessera.db')}`);
    try {
      return (await findUserById(store.db, userId))!.password_hash!;
    } finally {
      await store.close();
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-users-'));
    env = {
      ...process.env,
      TESSERA_DATA_DIR: dir,
      TESSERA_SECRET: 'x'.repeat(40),
      TESSERA_LOG_LEVEL: 'warn',
    };
    delete env.TESSERA_DATABASE_URL;
    writeFileSync(join(dir, 'tenant.yaml'), TENANT);
    const r = await tessera(['apply', join(dir, 'tenant.yaml')]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('create: enforces the policy, reads the password from stdin, refuses duplicates', async () => {
    const weak = await tessera([
      'users',
      'create',
      '--connection',
      'customers',
      '--email',
      'ann@acme.test',
      '--password',
      'short',
    ]);
    assert.equal(weak.code, 1);
    assert.equal(
      weak.stderr,
      `tessera: the password does not meet the connection's policy:\n  password policy "good": at least 8 characters\n  password policy "good": ${THREE_OF_4}\n`,
    );
    const ok = await tessera(
      [
        'users',
        'create',
        '--connection',
        'customers',
        '--email',
        'ann@acme.test',
        '--name',
        'Ann A',
        '--verified',
        '--password-stdin',
      ],
      'Ann-pw-123\n',
    );
    assert.equal(ok.code, 0, ok.stderr);
    annId = /^created user (auth0\|[0-9a-f]{24}) in customers\n$/.exec(ok.stdout)![1]!;
    assert.equal((await verifyPassword(await storedHash(annId), 'Ann-pw-123')).ok, true);

    const dup = await tessera(['users', 'create', '--connection', 'customers', '--email', 'ANN@acme.test']);
    assert.equal(dup.code, 1);
    assert.equal(
      dup.stderr,
      `tessera: email "ANN@acme.test" is already used by user ${annId} in "customers"\n`,
    );

    const staff = await tessera(
      [
        'users',
        'create',
        '--connection',
        'staff',
        '--email',
        'ann@acme.test',
        '--username',
        'ann',
        '--password-stdin',
      ],
      'Staff-Ann-pw-42',
    );
    assert.equal(staff.code, 0, staff.stderr);
    staffId = /^created user (\S+) in staff$/m.exec(staff.stdout)![1]!;

    const nope = await tessera(['users', 'create', '--connection', 'nope', '--email', 'x@acme.test']);
    assert.equal(
      nope.stderr,
      'tessera: connection "nope" does not exist (known: customers, staff); define it in the tenant file and run tessera apply\n',
    );
    const both = await tessera([
      'users',
      'create',
      '--connection',
      'staff',
      '--email',
      'x@acme.test',
      '--password',
      'a',
      '--password-stdin',
    ]);
    assert.equal(both.stderr, 'tessera: give the password once: --password or --password-stdin, not both\n');
  });

  it('list and show: every directory or one, never the hash', async () => {
    const all = await tessera(['users', 'list']);
    assert.deepEqual(
      all.stdout.trim().split('\n').sort(),
      [`${annId}  customers  ann@acme.test  -  verified`, `${staffId}  staff  ann@acme.test  ann`].sort(),
    );
    const staff = await tessera(['users', 'list', '--connection', 'staff', '--json']);
    const lines = staff.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((u) => [u.user_id, u.connection, u.username]),
      [[staffId, 'staff', 'ann']],
    );

    const ambiguous = await tessera(['users', 'show', 'ann@acme.test']);
    assert.equal(ambiguous.code, 1);
    assert.match(
      ambiguous.stderr,
      /is a user of several connections \(customers, staff\): name one with --connection/,
    );
    const shown = await tessera(['users', 'show', 'ann@acme.test', '--connection', 'customers', '--json']);
    const ann = JSON.parse(shown.stdout);
    assert.deepEqual(
      [ann.user_id, ann.name, ann.email_verified, 'password_hash' in ann],
      [annId, 'Ann A', true, false],
    );
    const text = await tessera(['users', 'show', annId]);
    assert.match(text.stdout, /^user_id: +auth0\|/);
    assert.doesNotMatch(text.stdout + shown.stdout + all.stdout, /argon2|password/);
  });

  it('set-password: policy-checked, re-hashed', async () => {
    const weak = await tessera(['users', 'set-password', staffId, '--password', 'Staff-pw1']);
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /password policy "excellent": at least 10 characters/);
    const ok = await tessera(['users', 'set-password', staffId, '--password-stdin'], 'New-staff-pw-2026\n');
    assert.equal(ok.stdout, `changed the password of ${staffId}; revoked 0 refresh tokens\n`);
    assert.equal((await verifyPassword(await storedHash(staffId), 'New-staff-pw-2026')).ok, true);
  });

  it("mfa list and reset: a user's authenticators, then none", async () => {
    const store = openStore(`sqlite:${join(dir, 'tessera.db')}`);
    try {
      await migrate(store);
      await insertAuthenticator(store.db, {
        id: 'totp|dev_cli',
        user_id: staffId,
        type: 'otp',
        name: null,
        secret_enc: 'sealed',
        code_hash: null,
        active: 1,
        last_step: 0,
        created_at: Date.UTC(2026, 0, 1),
      });
    } finally {
      await store.close();
    }
    const list = await tessera(['users', 'mfa', 'list', '--user', staffId]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, 'totp|dev_cli  otp           active   enrolled 2026-01-01T00:00:00.000Z\n');
    const reset = await tessera(['users', 'mfa', 'reset', '--user', staffId]);
    assert.equal(reset.stdout, `removed 1 authenticator of ${staffId}\n`);
    assert.equal(
      (await tessera(['users', 'mfa', 'list', '--user', staffId])).stdout,
      `${staffId} has no authenticator\n`,
    );
  });

  it('delete: the user is gone', async () => {
    const r = await tessera(['users', 'delete', staffId]);
    assert.equal(r.stdout, `deleted user ${staffId}; revoked 0 refresh tokens\n`);
    const list = await tessera(['users', 'list', '--connection', 'staff']);
    assert.equal(list.stdout, '');
    const again = await tessera(['users', 'delete', staffId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no user "auth0\|.+": give a user_id, email or username/);
  });

  it('import: imports the valid records, lists each bad one, exits 1', async () => {
    const r = await tessera(['users', 'import', FIXTURE, '--connection', 'customers', '--batch-size', '3']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'imported 6 users\n');
    const errors = r.stderr.trim().split('\n');
    assert.equal(
      errors.at(-1),
      '8 problems; the other users were imported: put the fixed records alone in a new file to import them',
    );
    assert.equal(errors[0], `${FIXTURE}[3] email: not an email address`);
    const ann = JSON.parse((await tessera(['users', 'show', 'ann@example.com', '--json'])).stdout);
    assert.equal(ann.user_id, 'auth0|5f7c8ec7c33c6c004bbafe82');
    assert.equal((await verifyPassword(await storedHash(ann.user_id), 'Ann-old-Auth0-pw1')).ok, true);
    const bad = await tessera(['users', 'import', join(dir, 'tenant.yaml'), '--connection', 'customers']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /tenant\.yaml: Unexpected token/);
  });

  it('import --upsert: updates the users that exist, imports the new ones', async () => {
    const file = join(dir, 'upsert.json');
    writeFileSync(
      file,
      JSON.stringify([
        { email: 'ann@example.com', user_metadata: { lang: 'it' } },
        { email: 'eve-new@example.com' },
      ]),
    );
    const plain = await tessera(['users', 'import', file, '--connection', 'customers']);
    assert.equal(plain.code, 1);
    assert.equal(plain.stdout, 'imported 1 user\n');
    writeFileSync(file, JSON.stringify([{ email: 'ann@example.com', user_metadata: { lang: 'it' } }]));
    const r = await tessera(['users', 'import', file, '--connection', 'customers', '--upsert']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'imported 0 users; updated 1\n');
    const ann = JSON.parse((await tessera(['users', 'show', 'ann@example.com', '--json'])).stdout);
    assert.deepEqual(ann.user_metadata, { lang: 'it' });
  });
});
