import { backgroundOf } from '../notify/background.js';
import { renderEmail, templateEnabled } from '../notify/templates.js';
import type { Runtime } from '../runtime.js';
import { findUserById, type UserWithSecret } from '../store/repos/users.js';
import { accountVars, sendWelcome } from './signup.js';
import { issueTicket, ticketUrl } from './tickets.js';

type ClientRef = { client_id: string; name: string };

/** What became of a verification email: sent, the template is off, or the user has no address. */
export type VerificationOutcome = 'sent' | 'disabled' | 'no_email';

/**
 * Sends a user the email with a single-use `<issuer>lo/verify_email` link
 * (the `verify_email` template), through the notifier (SMTP or the outbox).
 * Used by sign-up, `POST /api/v2/users` with `verify_email` and the
 * verification-email job.
 */
export async function sendVerificationEmail(
  rt: Runtime,
  user: UserWithSecret,
  client?: ClientRef,
): Promise<VerificationOutcome> {
  const db = rt.store.db;
  if (!user.email) return 'no_email';
  if (!(await templateEnabled(db, 'verify_email'))) return 'disabled';
  const ticket = await issueTicket(db, 'verify', user, rt.now(), { clientId: client?.client_id });
  const url = ticketUrl(rt.config.issuer, 'verify', ticket);
  const mail = await renderEmail(db, 'verify_email', user.email, {
    ...(await accountVars(rt, user, client)),
    url,
  });
  if (!mail) return 'disabled';
  await rt.notify.email.send(mail);
  return 'sent';
}

/**
 * Queues the verification email of a new account, after the answer went out;
 * with `welcomeIfOff` the welcome email goes instead when verification
 * emails are off (sign-up, as Auth0 does).
 */
export function queueVerificationEmail(
  rt: Runtime,
  userId: string,
  client?: ClientRef,
  opts: { welcomeIfOff?: boolean } = {},
): void {
  backgroundOf(rt, rt.log).run('verification email', async () => {
    const user = await findUserById(rt.store.db, userId);
    if (!user) return;
    const outcome = await sendVerificationEmail(rt, user, client);
    if (outcome === 'disabled' && opts.welcomeIfOff) await sendWelcome(rt, user, client);
  });
}
