import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Notice, SessionStore } from './sessions.js';
import type { TesseraClients, TokenSet } from './tessera.js';

export interface Realm {
  /** What the dropdown shows. */
  label: string;
  /** The realm sent to Tessera (a connection name or one of its aliases). */
  realm: string;
}

/** What the route handlers share. */
export interface AppContext {
  now: () => number;
  realms: Realm[];
  scope: string;
  audience: string;
  sessions: SessionStore;
  tessera: TesseraClients;
  ordersUrl: string;
  /** The database connection of "Create account" and "Forgot password?" (`connection` of /dbconnections). */
  signupConnection: string;
  /** The login form's directory for the users of that connection. */
  signupRealm: string;
}

/** A form field: the string sent once, else '' (missing, or sent twice). */
export function field(body: unknown, name: string): string {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v : '';
}

/** The end user's IP for `auth0-forwarded-for`: the browser's connecting address. */
export function endUserIp(request: FastifyRequest): string {
  return request.ip.startsWith('::ffff:') ? request.ip.slice(7) : request.ip;
}

/** The session's one-time message, removed from it. */
export function takeNotice(request: FastifyRequest): Notice | undefined {
  const n = request.session.notice;
  if (n) request.session.notice = undefined;
  return n;
}

/** A page with forms: the template gets the session's CSRF token as `csrf`. */
export function page(reply: FastifyReply, template: string, data: Record<string, unknown>, status = 200) {
  return reply.code(status).view(template, { ...data, csrf: reply.generateCsrf() });
}

/** The login succeeded: a new session (no fixation) with the tokens, then home. */
export async function signIn(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  user: { username: string; realm: string },
  t: TokenSet,
  notice?: Notice,
) {
  await request.session.regenerate();
  const s = request.session;
  s.user = user;
  s.tokens = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: ctx.now() + t.expires_in * 1000,
    scope: t.scope ?? ctx.scope,
    issuedAt: ctx.now(),
    refreshCount: 0,
  };
  s.notice = notice;
  return reply.redirect('/', 303);
}
