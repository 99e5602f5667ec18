import { issueTokens } from '../../oauth/tokens.js';
import type { LoginContext, LoginStep } from '../context.js';

/** Signs the access token (and ID token) for the authenticated user. */
export const tokensIssue: LoginStep = {
  name: 'tokens.issue',
  async run(ctx: LoginContext) {
    if (!ctx.user) throw new Error('tokens.issue ran without an authenticated user');
    ctx.response = await issueTokens(ctx.rt, {
      client: ctx.client,
      user: ctx.user,
      api: ctx.api,
      scopes: ctx.scopes,
      echoScope: ctx.echoScope,
      gty: ctx.grantType === 'http://auth0.com/oauth/grant-type/password-realm' ? 'password' : ctx.grantType,
      accessTokenClaims: ctx.accessTokenClaims,
      idTokenClaims: ctx.idTokenClaims,
    });
  },
};
