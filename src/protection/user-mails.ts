import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { issueTicket, ticketUrl } from '../identity/tickets.js';
import { renderEmail } from '../notify/templates.js';
import type { Message } from '../notify/types.js';
import type { UserWithSecret } from '../store/repos/users.js';
import type { Database } from '../store/schema.js';
import { type BlockedMailFacts, leakedUserMail, userBlockedMail } from './messages.js';

/**
 * The attack-protection emails a user receives, through the tenant's email
 * templates (`blocked_account`, `stolen_credentials`). A tenant template that
 * fails to render is logged and the built-in text goes out instead: the user
 * must hear of the block either way. Undefined: the tenant disabled it.
 */
type Db = Kysely<Database>;

async function rendered(
  log: Logger,
  render: () => Promise<Message | undefined>,
  fallback: () => Message,
): Promise<Message | undefined> {
  try {
    return await render();
  } catch (err) {
    log.error({ err }, 'email template failed to render; sending the built-in text');
    return fallback();
  }
}

export async function blockedAccountMail(
  db: Db,
  log: Logger,
  to: string,
  m: BlockedMailFacts,
): Promise<Message | undefined> {
  const message = await rendered(
    log,
    () =>
      renderEmail(db, 'blocked_account', to, {
        friendly_name: m.tenant,
        user: { email: to },
        identifier: m.identifier,
        ip: m.ip,
        attempts: m.attempts,
        per_ip: m.perIp,
        url: m.link ?? '',
      }),
    () => userBlockedMail(to, m),
  );
  return message && m.link && m.linkExpiresAt !== undefined
    ? { ...message, expiresAt: m.linkExpiresAt }
    : message;
}

/**
 * The breached-password email, with a password-reset link (`<issuer>lo/reset`)
 * so the user can choose a new password at once: nobody has to ask an
 * administrator.
 */
export async function stolenCredentialsMail(
  db: Db,
  log: Logger,
  issuer: string,
  user: UserWithSecret & { email: string },
  m: { tenant: string; identifier: string; blocked: boolean; now: number },
): Promise<Message | undefined> {
  return rendered(
    log,
    async () => {
      const ticket = await issueTicket(db, 'reset', user, m.now);
      return renderEmail(db, 'stolen_credentials', user.email, {
        friendly_name: m.tenant,
        user: { email: user.email, user_id: user.user_id },
        identifier: m.identifier,
        blocked: m.blocked,
        url: ticketUrl(issuer, 'reset', ticket),
      });
    },
    () => leakedUserMail(user.email, m),
  );
}
