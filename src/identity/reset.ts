import { randomUUID } from 'node:crypto';
import { recordEvent } from '../events/log.js';
import { backgroundOf } from '../notify/background.js';
import { renderEmail, templateEnabled, templateSetting } from '../notify/templates.js';
import { takeResetRequest } from '../protection/account-limits.js';
import { liftUserBlocks } from '../protection/lift.js';
import { loadPolicy } from '../protection/policy.js';
import type { Runtime } from '../runtime.js';
import { type Connection, findConnectionById } from '../store/repos/connections.js';
import { revokeUserRefreshTokens } from '../store/repos/refresh-tokens.js';
import { getTenantSettings } from '../store/repos/settings.js';
import {
  consumeTicket,
  killUserTickets,
  markEmailVerified,
  passwordHistory,
  pushPasswordHistory,
} from '../store/repos/tickets.js';
import {
  findUserById,
  findUsersByIdentifiers,
  setPasswordHash,
  type UserWithSecret,
} from '../store/repos/users.js';
import { type Rule, judgePassword } from './password-rules.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { RequestInfo } from './signup.js';
import { clientConnection, sendWelcome, userVars } from './signup.js';
import { issueTicket, openTicket, passwordFingerprint, type TicketProblem, ticketUrl } from './tickets.js';

/** Auth0's answer to every change_password request, whether or not the account exists [O]. */
export const CHANGE_PASSWORD_ANSWER = "We've just sent you an email to reset your password.";

/**
 * `/dbconnections/change_password`: checks the client and its connection
 * (which say nothing about accounts), then does the rest after the answer
 * went out, so an existing address answers as fast as an unknown one: the
 * per-IP and per-address limits, the lookup, the ticket and the email.
 */
export async function requestPasswordReset(
  rt: Runtime,
  input: { client_id: string; connection: string; email: string },
  req: RequestInfo,
): Promise<void> {
  const { client, connection } = await clientConnection(rt, input.client_id, input.connection);
  backgroundOf(rt, rt.log).run('password reset email', async () => {
    const db = rt.store.db;
    const now = rt.now();
    const limit = await takeResetRequest(rt.protection.counters, req.ip, connection.id, input.email, now);
    if (!limit.ok) {
      rt.log.info(
        { ip: req.ip, connection: connection.name },
        'password reset request over the limit: no email sent',
      );
      return;
    }
    const lower = input.email.toLowerCase();
    const [user] = (await findUsersByIdentifiers(db, connection.id, [input.email])).filter(
      (u) => u.email?.toLowerCase() === lower,
    );
    if (!user?.email || !(await templateEnabled(db, 'reset_email'))) return;
    const ticket = await issueTicket(db, 'reset', user, now, { clientId: client.client_id });
    const tenant = await getTenantSettings(db);
    const mail = await renderEmail(db, 'reset_email', user.email, {
      friendly_name: tenant.friendly_name ?? 'Tessera',
      support_email: tenant.support_email,
      support_url: tenant.support_url,
      user: userVars(user),
      url: ticketUrl(rt.config.issuer, 'reset', ticket),
      application: { name: client.name, client_id: client.client_id },
      connection: { name: connection.name },
    });
    if (!mail) return;
    await rt.notify.email.send(mail);
    await recordEvent(rt, {
      type: 'scpr',
      description: 'Password reset email sent',
      client_id: client.client_id,
      client_name: client.name,
      connection: connection.name,
      connection_id: connection.id,
      user_id: user.user_id,
      user_name: user.email,
      ip: req.ip,
      user_agent: req.userAgent ?? null,
    });
  });
}

export type ResetOutcome =
  | { ok: true; resultUrl?: string }
  | { ok: false; kind: 'ticket'; reason: TicketProblem }
  | { ok: false; kind: 'password'; message: string; rules?: Rule[] };

export interface HistoryOption {
  enable?: boolean;
  size?: number;
}

function historyOf(conn: Connection | undefined): number {
  const h = (conn?.options as { password_history?: HistoryOption } | undefined)?.password_history;
  return h?.enable ? Math.min(Math.max(h.size ?? 5, 1), 24) : 0;
}

/** Whether a reset ends the user's sessions: yes unless the connection sets the option to false. */
function revokesSessions(conn: Connection | undefined): boolean {
  const o = conn?.options as { revoke_refresh_tokens_on_password_change?: boolean } | undefined;
  return o?.revoke_refresh_tokens_on_password_change !== false;
}

/** `size` passwords are remembered, the current one included: the history keeps the `size - 1` before it. */
async function reusedPassword(rt: Runtime, user: UserWithSecret, password: string, size: number) {
  const previous = size > 1 ? await passwordHistory(rt.store.db, user.user_id, size - 1) : [];
  for (const h of [user.password_hash, ...previous])
    if (h && (await verifyPassword(h, password)).ok) return true;
  return false;
}

/**
 * The reset page's form: sets the new password if the ticket still works and
 * the password passes the connection's policy, the breached-password check
 * and the password history. The ticket is used in the same transaction as
 * the password change (one conditional UPDATE), which also marks the email
 * verified, lifts the user's blocks, revokes refresh tokens and kills the
 * user's other reset links. Logs `scp` or `fcp`.
 */
export async function completeReset(
  rt: Runtime,
  ticket: unknown,
  password: string,
  req: RequestInfo,
): Promise<ResetOutcome> {
  const db = rt.store.db;
  const opened = await openTicket(db, 'reset', ticket, rt.now());
  const fail = async (description: string, userId?: string | null, connectionId?: string | null) => {
    await recordEvent(rt, {
      type: 'fcp',
      description,
      user_id: userId ?? null,
      connection_id: connectionId ?? null,
      ip: req.ip,
      user_agent: req.userAgent ?? null,
    });
  };
  if (!opened.ok) {
    await fail(
      `Failed change password: the link is ${opened.reason}`,
      opened.row?.user_id,
      opened.row?.connection_id,
    );
    return { ok: false, kind: 'ticket', reason: opened.reason };
  }
  const { row, user } = opened;
  const conn = await findConnectionById(db, user.connection_id);
  const refused = async (message: string, rules?: Rule[]): Promise<ResetOutcome> => {
    await fail(`Failed change password: ${message}`, user.user_id, user.connection_id);
    return { ok: false, kind: 'password', message, rules };
  };
  const verdict = judgePassword(password, conn ?? {}, { ...user, name: user.profile.name });
  if (verdict?.kind === 'strength') return refused('Password is too weak', verdict.rules);
  if (verdict?.kind === 'dictionary') return refused('Password is not allowed, it might be too common.');
  if (verdict?.kind === 'user_info') return refused('Password contains user information');
  if ((await loadPolicy(db)).breached && (await rt.protection.corpus.has(password))) {
    return refused(
      'This password has been leaked in a data breach of another website. Please choose another.',
    );
  }
  const keep = historyOf(conn);
  if (keep > 0 && (await reusedPassword(rt, user, password, keep))) {
    return refused(`You have used this password recently. Choose one that is not among your last ${keep}.`);
  }
  const hash = await hashPassword(password);
  const now = rt.now();
  const done = await db.transaction().execute(async (trx) => {
    if (!(await consumeTicket(trx, row.id, now))) return 'used' as const;
    const current = await findUserById(trx, user.user_id);
    if (!current || passwordFingerprint(current.password_hash) !== row.password_fp)
      return 'superseded' as const;
    if (keep > 1 && current.password_hash) {
      await pushPasswordHistory(
        trx,
        {
          id: `pwh_${randomUUID()}`,
          user_id: user.user_id,
          password_hash: current.password_hash,
          created_at: now,
        },
        keep - 1,
      );
    }
    await setPasswordHash(trx, user.user_id, hash, now);
    const sameEmail = current.email && current.email.toLowerCase() === (row.email ?? '').toLowerCase();
    if (sameEmail && row.mark_verified !== 0) {
      await markEmailVerified(trx, user.user_id, now);
    }
    await liftUserBlocks(trx, user.user_id, now, { description: 'Unblocked by a password reset' });
    if (revokesSessions(conn)) await revokeUserRefreshTokens(trx, user.user_id, now);
    await killUserTickets(trx, user.user_id, 'reset', now);
    return 'ok' as const;
  });
  if (done !== 'ok') {
    await fail(`Failed change password: the link is ${done}`, user.user_id, user.connection_id);
    return { ok: false, kind: 'ticket', reason: done };
  }
  await recordEvent(rt, {
    type: 'scp',
    description: 'Successful change password',
    client_id: row.client_id,
    connection: conn?.name ?? null,
    connection_id: user.connection_id,
    user_id: user.user_id,
    user_name: user.email ?? user.username,
    ip: req.ip,
    user_agent: req.userAgent ?? null,
  });
  return { ok: true, resultUrl: row.result_url ?? (await templateSetting(db, 'reset_email')).resultUrl };
}

export type VerifyOutcome = { ok: true; resultUrl?: string } | { ok: false; reason: TicketProblem };

/** The verification link: marks the address verified, once. Logs `sv` or `fv`. */
export async function verifyEmail(rt: Runtime, ticket: unknown, req: RequestInfo): Promise<VerifyOutcome> {
  const db = rt.store.db;
  const now = rt.now();
  const opened = await openTicket(db, 'verify', ticket, now);
  const ok = opened.ok && (await consumeTicket(db, opened.row.id, now));
  const row = opened.row;
  if (!ok) {
    const reason = opened.ok ? 'used' : opened.reason;
    await recordEvent(rt, {
      type: 'fv',
      description: `Failed verification email: the link is ${reason}`,
      user_id: row?.user_id ?? null,
      connection_id: row?.connection_id ?? null,
      ip: req.ip,
      user_agent: req.userAgent ?? null,
    });
    return { ok: false, reason };
  }
  await markEmailVerified(db, opened.user.user_id, now);
  const { user } = opened;
  backgroundOf(rt, rt.log).run('welcome email', () => sendWelcome(rt, user));
  await recordEvent(rt, {
    type: 'sv',
    description: 'Successful verification email',
    client_id: opened.row.client_id,
    connection_id: opened.user.connection_id,
    user_id: opened.user.user_id,
    user_name: opened.user.email,
    ip: req.ip,
    user_agent: req.userAgent ?? null,
  });
  return {
    ok: true,
    resultUrl: opened.row.result_url ?? (await templateSetting(db, 'verify_email')).resultUrl,
  };
}
