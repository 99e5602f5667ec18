import { startFamily } from '../../tokens/refresh-tokens.js';
import { definedPermissions } from '../../tokens/scopes.js';
import { issueTokens } from '../../tokens/tokens.js';
import type { LoginContext, LoginStep } from '../context.js';
import { loadAuthorization } from './authz-load.js';

/**
 * Signs the access token (and ID token), and starts a refresh-token family
 * for a new login; a refresh's successor is added by refresh.redeem.
 */
export const tokensIssue: LoginStep = {
  name: 'tokens.issue',
  async run(ctx: LoginContext) {
    if (!ctx.user) throw new Error('tokens.issue ran without an authenticated user');
    let refreshToken: string | undefined;
    if (ctx.refresh?.mode === 'new') {
      refreshToken = await startFamily(ctx.rt, {
        client: ctx.client,
        userId: ctx.user.user_id,
        connectionId: ctx.connection.id,
        audience: ctx.api?.identifier ?? null,
        scopes: ctx.scopes,
      });
    }
    // An RBAC API in the authz dialect lists the user's permissions for it (read
    // here too for a login resumed after MFA, whose context is rebuilt).
    const api = ctx.api;
    const permissions =
      api?.enforce_policies && api.token_dialect === 'access_token_authz'
        ? definedPermissions(api, (await loadAuthorization(ctx)).permissions)
        : undefined;
    ctx.response = await issueTokens(ctx.rt, {
      client: ctx.client,
      user: ctx.user,
      api: ctx.api,
      scopes: ctx.scopes,
      echoScope: ctx.echoScope,
      gty: ctx.gty,
      amr: ctx.mfa ? ['mfa'] : undefined,
      accessTokenClaims: ctx.accessTokenClaims,
      idTokenClaims: ctx.idTokenClaims,
      refreshToken,
      permissions,
    });
  },
};
