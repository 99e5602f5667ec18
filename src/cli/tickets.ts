import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { issueTicket, type TicketKind, ticketLifetimeS, ticketUrl } from '../identity/tickets.js';
import { resolveUser } from '../identity/users.js';
import { findUserById } from '../store/repos/users.js';
import { action, withStore } from './context.js';

/**
 * `tessera tickets password-change|email-verification USER`: prints a
 * single-use link for a user, as the Management API's tickets do — what an
 * administrator hands a user who cannot receive the email. The link is shown
 * once and only its hash is stored.
 */
function ticketCommand(name: string, kind: TicketKind, description: string): Command {
  return new Command(name)
    .description(description)
    .argument('<user>', 'user_id, email or username')
    .option('--connection <name>', 'the connection, when the email or username is in several')
    .option(
      '--ttl-sec <seconds>',
      "how long the link works (default: the email template's urlLifetimeInSeconds, else 432000)",
    )
    .action(
      action(async (ref: string, opts: { connection?: string; ttlSec?: string }) => {
        const ttl = opts.ttlSec === undefined ? undefined : Number(opts.ttlSec);
        if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 60 || ttl > 2_592_000)) {
          throw new Error('--ttl-sec must be a whole number of seconds from 60 to 2592000 (30 days)');
        }
        const config = loadConfig();
        await withStore(async (store) => {
          const found = await resolveUser(store, ref, opts.connection);
          const user = (await findUserById(store.db, found.user_id))!;
          if (kind === 'verify' && !user.email)
            throw new Error(`user ${user.user_id} has no email address to verify`);
          const now = Date.now();
          const ttlS = ttl ?? (await ticketLifetimeS(store.db, kind));
          const ticket = await issueTicket(store.db, kind, user, now, { ttlS });
          process.stdout.write(`${ticketUrl(config.issuer, kind, ticket)}\n`);
          process.stderr.write(
            `single use, for ${user.user_id}, until ${new Date(now + ttlS * 1000).toISOString()}\n`,
          );
        }, config);
      }),
    );
}

export function ticketsCommand(): Command {
  return new Command('tickets')
    .description('single-use links for a user: choose a new password, verify the email address')
    .addCommand(ticketCommand('password-change', 'reset', 'print a link to <issuer>lo/reset for the user'))
    .addCommand(
      ticketCommand('email-verification', 'verify', 'print a link to <issuer>lo/verify_email for the user'),
    );
}
