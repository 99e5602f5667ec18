import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { importUsers } from '../identity/import.js';
import { PasswordPolicyError } from '../identity/password-policy.js';
import {
  createUser,
  listConnectionUsers,
  removeUser,
  resolveUser,
  setUserPassword,
} from '../identity/users.js';
import type { Store } from '../store/db.js';
import { listConnections } from '../store/repos/connections.js';
import type { User } from '../store/repos/users.js';
import { action, positiveInteger, readTextFile, withStore as withOpenStore } from './context.js';
import { userMfaCommand } from './users-mfa.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** withStore, with a password the connection's policy refuses told in words. */
async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  try {
    return await withOpenStore(fn);
  } catch (err) {
    if (err instanceof PasswordPolicyError) {
      throw new Error(`the password does not meet the connection's policy:\n  ${err.failures.join('\n  ')}`);
    }
    throw err;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // `echo pw |` and here-strings add one newline: it is not part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The password from --password or --password-stdin; undefined when neither is given. */
async function passwordOption(opts: {
  password?: string;
  passwordStdin?: boolean;
}): Promise<string | undefined> {
  if (opts.password !== undefined && opts.passwordStdin) {
    throw new Error('give the password once: --password or --password-stdin, not both');
  }
  if (!opts.passwordStdin) return opts.password;
  const pw = await readStdin();
  if (pw.length === 0) throw new Error('--password-stdin: standard input was empty');
  return pw;
}

const PASSWORD_HELP =
  'the password (other local users can see it in the process list: prefer --password-stdin)';

/** A user as Auth0's Management API shows it, with the connection's name; never the hash. */
async function views(store: Store, users: User[]) {
  const names = new Map((await listConnections(store.db)).map((c) => [c.id, c.name]));
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return users.map((u) => ({
    user_id: u.user_id,
    connection: names.get(u.connection_id) ?? u.connection_id,
    email: u.email,
    email_verified: u.email_verified,
    username: u.username,
    ...u.profile,
    blocked: u.blocked,
    app_metadata: u.app_metadata,
    user_metadata: u.user_metadata,
    logins_count: u.logins_count,
    last_login: iso(u.last_login),
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
  }));
}

/** `tessera users …`: the users of the database connections. */
export function usersCommand(): Command {
  const users = new Command('users').description('users of the database connections (directories)');
  users
    .command('create')
    .description('create a user in a connection; the password must meet the connection policy')
    .requiredOption('--connection <name>', 'the connection (directory) to create the user in')
    .option('--email <email>', 'email address (an email or a username is required)')
    .option('--username <username>', 'username')
    .option('--password <password>', PASSWORD_HELP)
    .option('--password-stdin', 'read the password from standard input')
    .option('--name <name>', 'full name')
    .option('--verified', 'mark the email address as verified')
    .action(
      action(
        async (opts: {
          connection: string;
          email?: string;
          username?: string;
          name?: string;
          verified?: boolean;
          password?: string;
          passwordStdin?: boolean;
        }) => {
          const password = await passwordOption(opts);
          const user = await withStore((store) =>
            createUser(
              store,
              {
                connection: opts.connection,
                email: opts.email,
                username: opts.username,
                name: opts.name,
                email_verified: Boolean(opts.verified),
                password,
              },
              Date.now(),
              { breachedPasswords: loadConfig().breachedPasswords },
            ),
          );
          out(`created user ${user.user_id} in ${opts.connection}`);
          if (password === undefined) {
            out(`it has no password yet: tessera users set-password ${user.user_id} --password-stdin`);
          }
        },
      ),
    );
  users
    .command('list')
    .description('list users: user_id, connection, email, username')
    .option('--connection <name>', 'only this connection')
    .option('--json', 'one JSON object per line')
    .action(
      action(async (opts: { connection?: string; json?: boolean }) => {
        const rows = await withStore(async (store) =>
          views(store, await listConnectionUsers(store, opts.connection)),
        );
        for (const u of rows) {
          if (opts.json) out(JSON.stringify(u));
          else {
            const flags = [u.email_verified ? 'verified' : '', u.blocked ? 'blocked' : ''].filter(Boolean);
            out(
              `${u.user_id}  ${u.connection}  ${u.email ?? '-'}  ${u.username ?? '-'}${flags.length ? `  ${flags.join(',')}` : ''}`,
            );
          }
        }
      }),
    );
  users
    .command('show')
    .argument('<user>', 'user_id, email or username')
    .description('show one user (never its password hash)')
    .option('--connection <name>', 'look the email or username up in this connection')
    .option('--json', 'as JSON')
    .action(
      action(async (ref: string, opts: { connection?: string; json?: boolean }) => {
        const [view] = await withStore(async (store) =>
          views(store, [await resolveUser(store, ref, opts.connection)]),
        );
        if (opts.json) out(JSON.stringify(view, null, 2));
        else {
          for (const [k, v] of Object.entries(view!)) {
            out(`${`${k}:`.padEnd(16)}${typeof v === 'string' ? v : JSON.stringify(v)}`);
          }
        }
      }),
    );
  users
    .command('delete')
    .argument('<user>', 'user_id (or email or username, with --connection when ambiguous)')
    .option('--connection <name>', 'look the email or username up in this connection')
    .description('delete a user and revoke its refresh tokens')
    .action(
      action(async (ref: string, opts: { connection?: string }) => {
        const { id, revoked } = await withStore(async (store) => {
          const u = await resolveUser(store, ref, opts.connection);
          return { id: u.user_id, ...(await removeUser(store, u.user_id, Date.now())) };
        });
        out(`deleted user ${id}; revoked ${revoked} refresh token${revoked === 1 ? '' : 's'}`);
      }),
    );
  users
    .command('set-password')
    .argument('<user>', 'user_id (or email or username, with --connection when ambiguous)')
    .option('--connection <name>', 'look the email or username up in this connection')
    .option('--password <password>', PASSWORD_HELP)
    .option('--password-stdin', 'read the password from standard input')
    .description("set a user's password (checked against the connection policy); ends its sessions")
    .action(
      action(
        async (ref: string, opts: { connection?: string; password?: string; passwordStdin?: boolean }) => {
          const password = await passwordOption(opts);
          if (password === undefined)
            throw new Error('give the new password with --password-stdin or --password');
          const { id, revoked } = await withStore(async (store) => {
            const u = await resolveUser(store, ref, opts.connection);
            return {
              id: u.user_id,
              ...(await setUserPassword(store, u.user_id, password, Date.now(), {
                breachedPasswords: loadConfig().breachedPasswords,
              })),
            };
          });
          out(`changed the password of ${id}; revoked ${revoked} refresh token${revoked === 1 ? '' : 's'}`);
        },
      ),
    );
  users
    .command('import')
    .argument('<file>', "a JSON file in Auth0's bulk user import format")
    .requiredOption('--connection <name>', 'the connection (directory) to import into')
    .option('--batch-size <n>', 'users per transaction', '500')
    .option(
      '--upsert',
      'update the users that exist (matched by email, else username) instead of refusing them',
    )
    .description(
      'import users (bcrypt and argon2 hashes keep working); reports each bad record, imports the rest',
    )
    .action(
      action(async (file: string, opts: { connection: string; batchSize: string; upsert?: boolean }) => {
        const batchSize = positiveInteger('--batch-size', opts.batchSize);
        const text = readTextFile(file, 'the users file');
        let records: unknown;
        try {
          records = JSON.parse(text);
        } catch (err) {
          throw new Error(`${file}: ${(err as Error).message}`);
        }
        const r = await withStore((store) =>
          importUsers(store, opts.connection, records, { now: Date.now(), batchSize, upsert: opts.upsert }),
        );
        const updated = opts.upsert ? `; updated ${r.updated}` : '';
        out(`imported ${r.imported} user${r.imported === 1 ? '' : 's'}${updated}`);
        for (const e of r.errors) process.stderr.write(`${file}${e}\n`);
        if (r.errors.length > 0) {
          process.stderr.write(
            `${r.errors.length} problem${r.errors.length === 1 ? '' : 's'}; the other users were imported: put the fixed records alone in a new file to import them\n`,
          );
          process.exitCode = 1;
        }
      }),
    );
  users.addCommand(userMfaCommand());
  return users;
}
