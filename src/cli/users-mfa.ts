import { Command } from 'commander';
import { resolveUser } from '../identity/users.js';
import { deleteUserAuthenticators, listAuthenticators } from '../store/repos/mfa-authenticators.js';
import { action, withStore } from './context.js';

/** `tessera users mfa list|reset --user ID`: see and remove a user's MFA authenticators. */
export function userMfaCommand(): Command {
  const mfa = new Command('mfa').description("a user's MFA authenticators");
  mfa
    .command('list')
    .requiredOption('--user <user>', 'user_id, email or username')
    .option('--connection <name>', 'look the email or username up in this connection')
    .description('list the authenticators (type, id, confirmed or not)')
    .action(
      action(async (opts: { user: string; connection?: string }) => {
        await withStore(async (store) => {
          const user = await resolveUser(store, opts.user, opts.connection);
          const rows = await listAuthenticators(store.db, user.user_id);
          if (rows.length === 0) process.stdout.write(`${user.user_id} has no authenticator\n`);
          for (const a of rows) {
            const when = new Date(a.created_at).toISOString();
            process.stdout.write(
              `${a.id}  ${a.type.padEnd(13)} ${(a.active ? 'active' : 'pending').padEnd(7)}${a.name ? `  ${a.name}` : ''}  enrolled ${when}\n`,
            );
          }
        });
      }),
    );
  mfa
    .command('reset')
    .requiredOption('--user <user>', 'user_id, email or username')
    .option('--connection <name>', 'look the email or username up in this connection')
    .description('remove every authenticator: the user enrolls again at the next login that needs MFA')
    .action(
      action(async (opts: { user: string; connection?: string }) => {
        await withStore(async (store) => {
          const user = await resolveUser(store, opts.user, opts.connection);
          const n = await deleteUserAuthenticators(store.db, user.user_id);
          process.stdout.write(`removed ${n} authenticator${n === 1 ? '' : 's'} of ${user.user_id}\n`);
        });
      }),
    );
  return mfa;
}
