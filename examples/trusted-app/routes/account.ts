import type { FastifyInstance } from 'fastify';
import { type AppContext, field, page, takeNotice } from '../context.js';
import { changePasswordErrorMessage, signUpErrorMessage } from '../messages.js';
import type { Notice } from '../sessions.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * "Create account" (GET/POST /signup, the SDK's `database.signUp`) and
 * "Forgot password?" (GET/POST /forgot, `database.changePassword`): the
 * same calls an app makes to Auth0's /dbconnections endpoints. Tessera sends
 * the verification and reset emails; its own pages behind the emailed links
 * (`<issuer>lo/verify_email`, `<issuer>lo/reset`) do the rest.
 *
 * No `auth0-forwarded-for` here: /dbconnections is a public endpoint (the SDK
 * sends only `client_id`, no secret), so Tessera, like Auth0, believes that
 * header on the token endpoint only. Sign-up's suspicious-IP throttling
 * (pre-user-registration, 50 a minute per IP) therefore counts this app's
 * server address for every user who signs up through it.
 */
export function accountRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/signup', async (request, reply) => {
    if (request.session.tokens) return reply.redirect('/', 303);
    return page(reply, 'signup', { title: 'Create account', notice: takeNotice(request) });
  });

  app.post('/signup', async (request, reply) => {
    const email = field(request.body, 'email').trim();
    const password = field(request.body, 'password');
    const name = field(request.body, 'name').trim();
    const again = (notice: Notice, status: number, policy?: string) =>
      page(reply, 'signup', { title: 'Create account', email, name, notice, policy }, status);
    if (!EMAIL.test(email) || !password) {
      return again({ kind: 'error', text: 'Enter your email address and choose a password.' }, 400);
    }
    try {
      await ctx.tessera.auth.database.signUp({
        email,
        password,
        connection: ctx.signupConnection,
        ...(name ? { name } : {}),
      });
    } catch (err) {
      request.log.warn({ err: String(err) }, 'sign-up refused');
      const { notice, status, policy } = signUpErrorMessage(err);
      return again(notice, status, policy);
    }
    request.session.notice = {
      kind: 'notice',
      title: 'Account created',
      text: `We sent a link to ${email}: open it to verify your address. You can sign in now.`,
    };
    request.session.prefill = { username: email, realm: ctx.signupRealm };
    return reply.redirect('/login', 303);
  });

  app.get('/forgot', async (request, reply) => {
    return page(reply, 'forgot', { title: 'Forgot password', notice: takeNotice(request) });
  });

  app.post('/forgot', async (request, reply) => {
    const email = field(request.body, 'email').trim();
    if (!EMAIL.test(email)) {
      return page(
        reply,
        'forgot',
        { title: 'Forgot password', email, notice: { kind: 'error', text: 'Enter your email address.' } },
        400,
      );
    }
    try {
      // Tessera answers the same 200 whether or not the account exists.
      await ctx.tessera.auth.database.changePassword({ email, connection: ctx.signupConnection });
    } catch (err) {
      request.log.warn({ err: String(err) }, 'change_password refused');
      const { notice, status } = changePasswordErrorMessage(err);
      return page(reply, 'forgot', { title: 'Forgot password', email, notice }, status);
    }
    request.session.notice = {
      kind: 'notice',
      title: 'Check your email',
      text: `If ${email} has an account, we have sent it a link to choose a new password.`,
    };
    request.session.prefill = { username: email, realm: ctx.signupRealm };
    return reply.redirect('/login', 303);
  });
}
