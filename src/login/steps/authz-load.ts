import { narrowToPermissions } from '../../tokens/scopes.js';
import { userAuthorization } from '../../store/repos/roles.js';
import type { LoginContext, LoginStep } from '../context.js';

/** Reads the user's roles and permissions for the API (fresh at every login and refresh). */
export async function loadAuthorization(ctx: LoginContext) {
  if (!ctx.user) throw new Error('authz.load ran without an authenticated user');
  ctx.authorization ??= await userAuthorization(ctx.rt.store.db, ctx.user.user_id, ctx.api?.id);
  return ctx.authorization;
}

/**
 * RBAC: loads what the user holds, for the rules (`context.authorization`)
 * and the tokens; an API with `enforce_policies` grants only the requested
 * scopes the user holds (all of them when none was asked), and `scope` is
 * echoed when that differs from the request.
 */
export const authzLoad: LoginStep = {
  name: 'authz.load',
  async run(ctx: LoginContext) {
    const authz = await loadAuthorization(ctx);
    if (!ctx.api?.enforce_policies) return;
    ctx.scopes = narrowToPermissions(ctx.scopes, authz.permissions);
    ctx.echoScope = ctx.scopes.join(' ') !== ctx.requestedScopes.join(' ');
  },
};
