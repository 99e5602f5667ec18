import { recordEvent } from '../events/log.js';
import type { LoginContext } from '../login-types/context.js';
import { eventFields } from '../login-types/event-fields.js';
import type { Runtime } from '../runtime.js';
import { claimNotification, extendBlock, putBlock } from '../store/repos/blocks.js';
import type { Protection } from './index.js';
import { ipBlockId } from './block-ids.js';
import { ipThrottledMail } from './messages.js';
import { TICKET_TTL_MS } from './tickets.js';
import { blockedAccountMail } from './user-mails.js';
import type { BruteForcePolicy, IpThrottlePolicy } from './policy.js';

/**
 * An IP's failure emptied its bucket: record the throttle until a token is
 * back (so it survives a restart and reaches other nodes), and tell the
 * admins, at most once per IP while the bucket would take to fill again.
 */
export async function throttleIp(
  p: Protection,
  ip: string,
  sit: IpThrottlePolicy,
  until: number,
): Promise<void> {
  const { store, now: clock, config } = p.deps;
  const now = clock();
  const id = ipBlockId(ip);
  const fresh = await putBlock(store.db, {
    id,
    kind: 'ip',
    connection_id: null,
    identifier: null,
    user_id: null,
    ip,
    attempts: sit.maxAttempts,
    created_at: now,
    updated_at: now,
    expires_at: until,
    lifted_at: null,
    notified_at: null,
  });
  if (!fresh) await extendBlock(store.db, id, until, now);
  if (sit.block) p.mirror.add(id, until);
  const admins = config.adminEmails;
  if (!sit.notifyAdmin || admins.length === 0) return;
  if (!(await claimNotification(store.db, id, now, sit.maxAttempts * sit.rateMs))) return;
  const tenant = await p.tenantName();
  p.send(admins.map((to) => ipThrottledMail(to, { tenant, ip, attempts: sit.maxAttempts })));
}

/**
 * The failure that reached max_attempts for an identifier (from an IP):
 * block it (`limit_wc`), and email the user, with a single-use unblock link
 * when blocked. Only the process that put the block in force does either.
 */
export async function blockIdentifier(
  p: Protection,
  ctx: LoginContext<Runtime>,
  u: { id: string; identifier: string; ip: string; count: number; policy: BruteForcePolicy },
): Promise<void> {
  const { store, now: clock } = p.deps;
  const now = clock();
  const bf = u.policy;
  const account = ctx.user;
  const ip = ctx.request.ip;
  if (bf.block) {
    const fresh = await putBlock(store.db, {
      id: u.id,
      kind: 'user',
      connection_id: ctx.connection.id,
      identifier: u.identifier,
      user_id: account?.user_id ?? null,
      ip: bf.perIp ? u.ip : null,
      attempts: u.count,
      created_at: now,
      updated_at: now,
      expires_at: null,
      lifted_at: null,
      notified_at: bf.notifyUser ? now : null,
    });
    p.mirror.add(u.id, null);
    if (!fresh) return;
    await recordEvent(ctx.rt, {
      type: 'limit_wc',
      description: `Blocked after ${u.count} consecutive failed login attempts`,
      ...eventFields(ctx),
    });
  }
  if (!bf.notifyUser || !account?.email) return;
  const link = bf.block
    ? `${ctx.rt.config.issuer}unblock?ticket=${await p.tickets.issue(u.id, account.user_id, now)}`
    : undefined;
  const tenant = await p.tenantName();
  const linkExpiresAt = now + TICKET_TTL_MS;
  const mail = {
    tenant,
    identifier: account.email,
    ip,
    attempts: u.count,
    perIp: bf.perIp,
    link,
    linkExpiresAt,
  };
  const message = await blockedAccountMail(store.db, p.deps.log, account.email, mail);
  if (message) p.send([message]);
}
