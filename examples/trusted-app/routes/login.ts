import type { FastifyInstance } from 'fastify';
import { type AppContext, endUserIp, field, page, signIn, takeNotice } from '../context.js';
import { loginErrorMessage, statusFor } from '../messages.js';
import type { Notice } from '../sessions.js';
import { errorBody, forwardedFor, type MfaRequirements, type TokenSet, tesseraError } from '../tessera.js';

/** GET /login (the form) and POST /login (the password-realm grant). */
export function loginRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/login', async (request, reply) => {
    if (request.session.tokens) return reply.redirect('/', 303);
    const prefill = request.session.prefill;
    if (prefill) request.session.prefill = undefined;
    return page(reply, 'login', {
      realms: ctx.realms,
      notice: takeNotice(request),
      username: prefill?.username,
      realm: prefill?.realm,
    });
  });

  app.post('/login', async (request, reply) => {
    const s = request.session;
    const username = field(request.body, 'username').trim();
    const password = field(request.body, 'password');
    const realm = field(request.body, 'realm');
    const again = (notice: Notice, status: number) =>
      page(reply, 'login', { realms: ctx.realms, username, realm, notice }, status);
    if (!username || !password) {
      return again({ kind: 'error', text: 'Enter your email and your password.' }, 400);
    }
    if (!ctx.realms.some((r) => r.realm === realm)) {
      return again(
        { kind: 'error', title: 'Unknown directory', text: 'Pick a directory from the list.' },
        400,
      );
    }
    s.tokens = undefined;
    s.user = undefined;
    s.mfa = undefined;
    try {
      const { data } = await ctx.tessera.auth.oauth.passwordGrant(
        { username, password, realm, audience: ctx.audience, scope: ctx.scope },
        forwardedFor(endUserIp(request)),
      );
      return signIn(ctx, request, reply, { username, realm }, data as TokenSet);
    } catch (err) {
      const body = errorBody(err);
      if (tesseraError(err)?.code === 'mfa_required' && typeof body.mfa_token === 'string') {
        s.mfa = {
          mfaToken: body.mfa_token,
          username,
          realm,
          requirements: (body.mfa_requirements ?? {}) as MfaRequirements,
          startedAt: ctx.now(),
        };
        return reply.redirect('/mfa', 303);
      }
      request.log.warn({ err: String(err) }, 'sign-in refused');
      return again(loginErrorMessage(err), statusFor(err));
    }
  });
}
