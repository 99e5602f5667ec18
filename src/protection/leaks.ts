import { createHash } from 'node:crypto';
import { recordEvent } from '../events/log.js';
import type { LoginContext } from '../login-types/context.js';
import { eventFields } from '../login-types/event-fields.js';
import type { Runtime } from '../runtime.js';
import { errors } from '../errors/index.js';
import { putLeak } from '../store/repos/blocks.js';
import { findUserById } from '../store/repos/users.js';
import type { Protection } from './index.js';
import { leakedAdminMail } from './messages.js';
import type { BreachedPolicy } from './policy.js';
import { stolenCredentialsMail } from './user-mails.js';

/**
 * A login whose (right) password is in the breached-password corpus. The
 * leak is remembered against the user's current password hash, so the
 * notifications go out once per password; with the `block` shield every
 * login with that password answers 401 `password_leaked` until it changes
 * (the corpus is checked at each login, so a new password is free at once).
 */
export async function handleLeak(
  p: Protection,
  ctx: LoginContext<Runtime>,
  policy: BreachedPolicy,
): Promise<void> {
  const user = ctx.user;
  if (!user) return;
  const { store, now, config } = p.deps;
  const stored = await findUserById(store.db, user.user_id);
  const fingerprint = createHash('sha256')
    .update(stored?.password_hash ?? '')
    .digest('hex');
  const fresh = await putLeak(store.db, user.user_id, fingerprint, now());
  if (fresh) {
    if (!policy.block) {
      await recordEvent(ctx.rt, {
        type: 'pwd_leak',
        description: 'Breached password (login allowed)',
        ...eventFields(ctx),
      });
    }
    const tenant = await p.tenantName();
    const identifier = user.email ?? user.username ?? ctx.username;
    const blocked = policy.block;
    if (policy.notifyUser && user.email && stored) {
      const m = { tenant, identifier, blocked, now: now() };
      const mail = await stolenCredentialsMail(
        store.db,
        p.deps.log,
        config.issuer,
        { ...stored, email: user.email },
        m,
      );
      if (mail) p.send([mail]);
    }
    if (policy.notifyAdmin) {
      const m = { tenant, userId: user.user_id, identifier, ip: ctx.request.ip, blocked };
      p.send(config.adminEmails.map((to) => leakedAdminMail(to, m)));
    }
  }
  if (policy.block) {
    ctx.failure = 'breached-password';
    throw errors.passwordLeaked();
  }
}
