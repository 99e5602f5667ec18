import { hashPassword } from '../../identity/passwords.js';
import { errors } from '../../errors/index.js';
import { findUserForLogin } from '../../store/repos/login-read.js';
import { setPasswordHash } from '../../store/repos/users.js';
import type { LoginContext, LoginStep } from '../context.js';

/**
 * Checks the username and password against the connection's users. An
 * unknown user gets the same answer as a wrong password, and every failure
 * takes as long as the connection's slowest kind of hash (a dummy of it for
 * an unknown user, then padding: identity/login-timing.ts), so neither the
 * body nor the timing tells which users exist or were imported.
 */
export const identityVerify: LoginStep = {
  name: 'identity.verify',
  async run(ctx: LoginContext) {
    const { rt } = ctx;
    const password = ctx.password ?? '';
    ctx.password = undefined;
    const check = rt.loginTiming.begin(ctx.connection.id, ctx.hashQueue);
    // With the user's authorization for the login's API: authz.load then reads nothing more.
    const found = await findUserForLogin(rt.store.db, ctx.connection.id, ctx.username, ctx.api?.id);
    const user = found?.user;
    const result = await check.verify(user?.password_hash, password);
    if (!user?.password_hash) {
      ctx.failure = user ? 'wrong-password' : 'unknown-user';
      throw errors.wrongCredentials(user ? 'user has no password' : 'unknown user');
    }
    if (!result.ok) {
      ctx.user = user;
      ctx.failure = 'wrong-password';
      throw errors.wrongCredentials('wrong password');
    }
    if (user.blocked) {
      ctx.user = user;
      throw errors.userBlocked();
    }
    if (result.needsRehash) {
      // An imported (bcrypt, other argon2) hash becomes argon2id on first use.
      try {
        await setPasswordHash(rt.store.db, user.user_id, await hashPassword(password), rt.now());
      } catch (err) {
        rt.log.warn({ err, user_id: user.user_id }, 'could not upgrade password hash');
      }
    }
    ctx.authorization = found?.authorization;
    // Counted with the login's audit event, whatever the login's end (ctx.loginCount).
    ctx.loginCount = { userId: user.user_id, at: rt.now() };
    const { password_hash: _hash, ...publicUser } = user;
    ctx.user = { ...publicUser, logins_count: user.logins_count + 1 };
  },
};
