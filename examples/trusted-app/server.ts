import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import QRCode from 'qrcode';
import { STYLE_HASH } from './html.js';
import {
  loginErrorMessage,
  mfaErrorMessage,
  mfaTokenDead,
  SESSION_EXPIRED,
  SIGNED_OUT_BY_SERVER,
} from './messages.js';
import { csrfMatches, type Notice, type Session, SessionStore } from './sessions.js';
import { type MfaRequirements, TesseraClient, TesseraError, type TokenSet } from './tessera.js';
import { type ApiResult, errorPage, homePage, loginPage, mfaPage, type Realm } from './views.js';

/**
 * The trusted app: a server-rendered web app with its own login form, a
 * confidential client of Tessera. It forwards the credentials to Tessera's
 * token endpoint from its backend (the password-realm grant), walks the user
 * through MFA when Tessera asks for it, keeps the tokens in a server-side
 * session, and calls the Orders API with the access token.
 */
export interface TrustedAppOptions {
  /** Where Tessera listens, e.g. http://localhost:3000. */
  tesseraUrl: string;
  /** Where the Orders API listens, e.g. http://localhost:3001. */
  ordersApiUrl: string;
  clientId: string;
  clientSecret: string;
  /** The Orders API's identifier at Tessera (the access token's audience). */
  audience: string;
  /** Signs the session cookie. */
  cookieSecret: string;
  /** The directories of the login form; default Customers (`customers`) and Employees (`employees`). */
  realms?: Realm[];
  /** Scopes asked for at sign-in. */
  scope?: string;
  /** The session store (tests read it). */
  sessions?: SessionStore;
  /** The clock, epoch ms (tests move it to expire access tokens). */
  now?: () => number;
  /** Send the cookie with `Secure` (behind HTTPS). */
  secureCookies?: boolean;
  logger?: FastifyServerOptions['logger'];
}

export const DEFAULT_REALMS: Realm[] = [
  { label: 'Customers', realm: 'customers' },
  { label: 'Employees', realm: 'employees' },
];

export const DEFAULT_SCOPE = 'openid profile email offline_access read:orders';

const COOKIE = 'acme_sid';
/** Tessera's mfa_token lives 10 minutes. */
const MFA_TTL_MS = 10 * 60_000;
/** Refresh a little before the access token expires. */
const EXPIRY_SKEW_MS = 30_000;

const SECURITY_HEADERS = {
  'content-security-policy': `default-src 'none'; style-src '${STYLE_HASH}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

type Form = Record<string, unknown>;

/** A form field: the string sent once, else '' (missing, or sent twice). */
function field(body: unknown, name: string): string {
  const v = body && typeof body === 'object' ? (body as Form)[name] : undefined;
  return typeof v === 'string' ? v : '';
}

/** The end user's IP for `auth0-forwarded-for`: the browser's connecting address. */
function endUserIp(request: FastifyRequest): string {
  return request.ip.startsWith('::ffff:') ? request.ip.slice(7) : request.ip;
}

/** The status a page showing a failed call answers with. */
function statusFor(err: unknown): number {
  return err instanceof TesseraError && err.status >= 400 && err.status < 500 ? err.status : 503;
}

export async function buildTrustedApp(opts: TrustedAppOptions): Promise<FastifyInstance> {
  const now = opts.now ?? Date.now;
  const realms = opts.realms ?? DEFAULT_REALMS;
  const scope = opts.scope ?? DEFAULT_SCOPE;
  const sessions = opts.sessions ?? new SessionStore({ now });
  const tessera = new TesseraClient({
    baseUrl: opts.tesseraUrl,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
  });
  const ordersUrl = `${opts.ordersApiUrl.replace(/\/+$/, '')}/orders`;

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 16 * 1024 });
  await app.register(cookie, { secret: opts.cookieSecret });
  await app.register(formbody);

  // ---- sessions -------------------------------------------------------------------------

  const bound = new WeakMap<FastifyRequest, Session>();

  function currentSession(request: FastifyRequest): Session | undefined {
    const known = bound.get(request);
    if (known) return known;
    const raw = request.cookies[COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    const s = sessions.get(unsigned.value);
    if (s) bound.set(request, s);
    return s;
  }

  function setCookie(reply: FastifyReply, s: Session): void {
    reply.setCookie(COOKIE, s.id, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: opts.secureCookies ?? false,
      path: '/',
    });
  }

  /** The request's session, created (with its cookie) when there is none. */
  function sessionFor(request: FastifyRequest, reply: FastifyReply): Session {
    const existing = currentSession(request);
    if (existing) return existing;
    const s = sessions.create();
    bound.set(request, s);
    setCookie(reply, s);
    return s;
  }

  function takeNotice(s: Session): Notice | undefined {
    const n = s.notice;
    s.notice = undefined;
    return n;
  }

  /** The login succeeded: tokens into the session, a new session id, home. */
  function signIn(
    s: Session,
    reply: FastifyReply,
    user: { username: string; realm: string },
    t: TokenSet,
    notice?: Notice,
  ) {
    s.mfa = undefined;
    s.user = user;
    s.tokens = {
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: now() + t.expires_in * 1000,
      scope: t.scope ?? scope,
      issuedAt: now(),
      refreshCount: 0,
    };
    s.notice = notice;
    sessions.rotate(s);
    setCookie(reply, s);
    return reply.redirect('/', 303);
  }

  /** The session's tokens are no longer good: back to the login page with a message. */
  function signedOutByServer(s: Session, reply: FastifyReply) {
    s.tokens = undefined;
    s.user = undefined;
    s.notice = SIGNED_OUT_BY_SERVER;
    return reply.redirect('/login', 303);
  }

  /**
   * Exchanges the refresh token for new tokens. One exchange per session at a
   * time: with rotation, two concurrent exchanges of one token would look like
   * token theft to Tessera and revoke the whole family.
   */
  function refreshTokens(s: Session, ip: string): Promise<void> {
    if (!s.refreshing) {
      s.refreshing = (async () => {
        const current = s.tokens;
        if (!current?.refreshToken) throw new TesseraError(403, 'invalid_grant', 'No refresh token', {});
        const t = await tessera.refresh(current.refreshToken, ip);
        s.tokens = {
          accessToken: t.access_token,
          refreshToken: t.refresh_token ?? current.refreshToken,
          expiresAt: now() + t.expires_in * 1000,
          scope: t.scope ?? current.scope,
          issuedAt: now(),
          refreshCount: current.refreshCount + 1,
        };
      })().finally(() => {
        s.refreshing = undefined;
      });
    }
    return s.refreshing;
  }

  // ---- every response ---------------------------------------------------------------------

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });

  // Every POST is a form of this app: it must carry its session's CSRF token.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const s = currentSession(request);
    if (!s || !csrfMatches(s, (request.body as Form | undefined)?._csrf)) {
      request.log.info({ url: request.url, session: Boolean(s) }, 'form refused: bad or missing CSRF token');
      return reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(
          errorPage(
            'This form has expired',
            'The page was open for too long, or the form did not come from this app. Please try again.',
            { href: '/login', label: 'Back to sign-in' },
          ),
        );
    }
  });

  app.setErrorHandler((err, request, reply) => {
    request.log.error({ err }, 'request failed');
    const status = (err as { statusCode?: number }).statusCode;
    const client = typeof status === 'number' && status >= 400 && status < 500;
    return reply
      .code(client ? status : 500)
      .type('text/html; charset=utf-8')
      .send(
        client
          ? errorPage('That request was not understood', 'Please go back and try again.')
          : errorPage('Something went wrong', 'Please try again in a moment.'),
      );
  });

  app.setNotFoundHandler((_request, reply) =>
    reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(errorPage('Page not found', 'There is nothing here.')),
  );

  const html = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').send(body);

  // ---- routes -------------------------------------------------------------------------------

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/login', async (request, reply) => {
    const s = sessionFor(request, reply);
    if (s.tokens) return reply.redirect('/', 303);
    return html(reply, loginPage({ csrf: s.csrf, realms, notice: takeNotice(s) }));
  });

  app.post('/login', async (request, reply) => {
    const s = currentSession(request)!;
    const username = field(request.body, 'username').trim();
    const password = field(request.body, 'password');
    const realm = field(request.body, 'realm');
    const again = (notice: Notice, status: number) =>
      html(reply, loginPage({ csrf: s.csrf, realms, username, realm, notice }), status);
    if (!username || !password) {
      return again({ kind: 'error', text: 'Enter your email and your password.' }, 400);
    }
    if (!realms.some((r) => r.realm === realm)) {
      return again(
        { kind: 'error', title: 'Unknown directory', text: 'Pick a directory from the list.' },
        400,
      );
    }
    s.tokens = undefined;
    s.user = undefined;
    s.mfa = undefined;
    try {
      const t = await tessera.passwordRealm(
        { username, password, realm, audience: opts.audience, scope },
        endUserIp(request),
      );
      return signIn(s, reply, { username, realm }, t);
    } catch (err) {
      if (
        err instanceof TesseraError &&
        err.code === 'mfa_required' &&
        typeof err.body.mfa_token === 'string'
      ) {
        s.mfa = {
          mfaToken: err.body.mfa_token,
          username,
          realm,
          requirements: (err.body.mfa_requirements ?? {}) as MfaRequirements,
          startedAt: now(),
        };
        return reply.redirect('/mfa', 303);
      }
      request.log.warn({ err: String(err) }, 'sign-in refused');
      return again(loginErrorMessage(err), statusFor(err));
    }
  });

  /** The pending MFA login, or a redirect when there is none (or it has expired). */
  function pendingMfa(request: FastifyRequest, reply: FastifyReply) {
    const s = currentSession(request);
    if (!s?.mfa) return { redirect: reply.redirect(s?.tokens ? '/' : '/login', 303) };
    if (now() - s.mfa.startedAt > MFA_TTL_MS) {
      s.mfa = undefined;
      s.notice = SESSION_EXPIRED;
      return { redirect: reply.redirect('/login', 303) };
    }
    return { s, mfa: s.mfa };
  }

  /** After a failed MFA call: start over when the mfa_token is dead, else show the message. */
  function mfaFailed(err: unknown, s: Session, reply: FastifyReply, back = '/mfa') {
    if (mfaTokenDead(err)) {
      s.mfa = undefined;
      s.notice = SESSION_EXPIRED;
      return reply.redirect('/login', 303);
    }
    s.notice = mfaErrorMessage(err);
    return reply.redirect(back, 303);
  }

  app.get<{ Querystring: { use?: string } }>('/mfa', async (request, reply) => {
    const p = pendingMfa(request, reply);
    if (!p.s) return p.redirect;
    return html(
      reply,
      mfaPage({
        session: p.s,
        mfa: p.mfa,
        useRecovery: request.query.use === 'recovery',
        notice: takeNotice(p.s),
      }),
    );
  });

  app.post('/mfa/enroll', async (request, reply) => {
    const p = pendingMfa(request, reply);
    if (!p.s) return p.redirect;
    const { s, mfa } = p;
    const factor = field(request.body, 'factor');
    if (!(mfa.requirements.enroll ?? []).some((f) => f.type === factor)) {
      s.notice = { kind: 'error', text: 'Choose one of the offered methods.' };
      return reply.redirect('/mfa', 303);
    }
    try {
      if (factor === 'otp') {
        const e = await tessera.associate(mfa.mfaToken, { type: 'otp' });
        if (e.authenticator_type !== 'otp') throw new Error('Tessera enrolled something other than OTP');
        mfa.enrollment = {
          type: 'otp',
          secret: e.secret,
          qrDataUrl: await QRCode.toDataURL(e.barcode_uri, { margin: 1, width: 360 }),
          recoveryCode: e.recovery_codes?.[0],
        };
      } else {
        const channel = factor === 'sms' ? 'sms' : 'email';
        const e = await tessera.associate(mfa.mfaToken, {
          type: 'oob',
          channel,
          email: channel === 'email' ? field(request.body, 'email').trim() || undefined : undefined,
          phoneNumber:
            channel === 'sms' ? field(request.body, 'phone_number').trim() || undefined : undefined,
        });
        if (e.authenticator_type !== 'oob') throw new Error('Tessera enrolled something other than OOB');
        mfa.enrollment = { type: 'oob', channel, oobCode: e.oob_code, recoveryCode: e.recovery_codes?.[0] };
      }
    } catch (err) {
      request.log.warn({ err: String(err) }, 'MFA enrolment failed');
      return mfaFailed(err, s, reply);
    }
    return reply.redirect('/mfa', 303);
  });

  app.post('/mfa/send', async (request, reply) => {
    const p = pendingMfa(request, reply);
    if (!p.s) return p.redirect;
    const { s, mfa } = p;
    const channel = field(request.body, 'channel');
    try {
      const authenticator = (await tessera.authenticators(mfa.mfaToken)).find(
        (a) => a.active && a.authenticator_type === 'oob' && a.oob_channel === channel,
      );
      if (!authenticator) {
        s.notice = { kind: 'error', text: 'That method is not set up for your account.' };
        return reply.redirect('/mfa', 303);
      }
      const c = await tessera.challenge(mfa.mfaToken, 'oob', authenticator.id);
      if (!c.oob_code) throw new Error('Tessera answered an oob challenge without an oob_code');
      mfa.oob = { channel, oobCode: c.oob_code, name: authenticator.name };
    } catch (err) {
      request.log.warn({ err: String(err) }, 'MFA challenge failed');
      return mfaFailed(err, s, reply);
    }
    return reply.redirect('/mfa', 303);
  });

  app.post('/mfa/verify', async (request, reply) => {
    const p = pendingMfa(request, reply);
    if (!p.s) return p.redirect;
    const { s, mfa } = p;
    const method = field(request.body, 'method');
    const code = field(request.body, 'code').replace(/[\s-]+/g, '');
    const back = method === 'recovery' ? '/mfa?use=recovery' : '/mfa';
    if (!code) {
      s.notice = { kind: 'error', text: 'Enter the code.' };
      return reply.redirect(back, 303);
    }
    const ip = endUserIp(request);
    const user = { username: mfa.username, realm: mfa.realm };
    try {
      if (method === 'otp') {
        const t = await tessera.mfaOtp(mfa.mfaToken, code, ip);
        return signIn(s, reply, user, t, mfa.enrollment ? ENROLLED : undefined);
      }
      if (method === 'oob') {
        const oobCode = mfa.enrollment?.type === 'oob' ? mfa.enrollment.oobCode : mfa.oob?.oobCode;
        if (!oobCode) {
          s.notice = { kind: 'error', text: 'Send yourself a code first.' };
          return reply.redirect('/mfa', 303);
        }
        const t = await tessera.mfaOob(mfa.mfaToken, oobCode, code, ip);
        return signIn(s, reply, user, t, mfa.enrollment ? ENROLLED : undefined);
      }
      if (method === 'recovery') {
        const t = await tessera.mfaRecovery(mfa.mfaToken, code.toUpperCase(), ip);
        return signIn(s, reply, user, t, {
          kind: 'notice',
          title: 'You signed in with your recovery code',
          text: 'It cannot be used again. Here is your new recovery code: write it down.',
          code: t.recovery_code,
        });
      }
    } catch (err) {
      request.log.warn({ err: String(err) }, 'MFA verification failed');
      if (err instanceof TesseraError && err.code === 'expired_token' && /oob_code/.test(err.description)) {
        mfa.oob = undefined;
      }
      return mfaFailed(err, s, reply, back);
    }
    s.notice = { kind: 'error', text: 'Choose how to verify.' };
    return reply.redirect('/mfa', 303);
  });

  app.post('/mfa/cancel', async (request, reply) => {
    const s = currentSession(request)!;
    s.mfa = undefined;
    return reply.redirect('/login', 303);
  });

  /** GET /orders at the Orders API with the access token. */
  async function callOrders(accessToken: string): Promise<ApiResult> {
    try {
      const res = await fetch(ordersUrl, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.ok) return { ok: true, status: res.status, body };
      const message =
        typeof body.error_description === 'string' ? body.error_description : `HTTP ${res.status}`;
      return { ok: false, status: res.status, message };
    } catch (err) {
      return { ok: false, message: `The Orders API cannot be reached (${(err as Error).message}).` };
    }
  }

  /** Tessera's /userinfo with the access token; 401 is reported so the caller can refresh. */
  async function callUserinfo(
    accessToken: string,
  ): Promise<{ status: number; profile: Record<string, unknown> }> {
    try {
      return { status: 200, profile: await tessera.userinfo(accessToken) };
    } catch (err) {
      const status = err instanceof TesseraError ? err.status : 503;
      return {
        status,
        profile: { error: err instanceof TesseraError ? err.description : 'Tessera cannot be reached.' },
      };
    }
  }

  app.get('/', async (request, reply) => {
    const s = currentSession(request);
    if (!s?.tokens) return reply.redirect(s?.mfa ? '/mfa' : '/login', 303);
    const ip = endUserIp(request);
    const refreshOrEnd = async (): Promise<boolean> => {
      try {
        await refreshTokens(s, ip);
        return true;
      } catch (err) {
        request.log.warn({ err: String(err) }, 'refresh failed');
        return false;
      }
    };
    // An expired access token: refresh before calling anything.
    if (now() >= s.tokens.expiresAt - EXPIRY_SKEW_MS && !(await refreshOrEnd())) {
      return signedOutByServer(s, reply);
    }
    const load = () => Promise.all([callUserinfo(s.tokens!.accessToken), callOrders(s.tokens!.accessToken)]);
    let [info, orders] = await load();
    // Refused (expired early, keys rotated, clock skew): refresh once and try again.
    if (info.status === 401 || (!orders.ok && orders.status === 401)) {
      if (!(await refreshOrEnd())) return signedOutByServer(s, reply);
      [info, orders] = await load();
    }
    const user = s.user!;
    const name = typeof info.profile.name === 'string' ? info.profile.name : user.username;
    return html(reply, homePage({ session: s, name, profile: info.profile, orders, notice: takeNotice(s) }));
  });

  app.post('/refresh', async (request, reply) => {
    const s = currentSession(request)!;
    if (!s.tokens) return reply.redirect('/login', 303);
    try {
      await refreshTokens(s, endUserIp(request));
    } catch (err) {
      request.log.warn({ err: String(err) }, 'refresh failed');
      if (err instanceof TesseraError) return signedOutByServer(s, reply);
      s.notice = { kind: 'error', text: 'Tessera cannot be reached right now; try again in a moment.' };
      return reply.redirect('/', 303);
    }
    s.notice = { kind: 'notice', text: 'The access token was refreshed with the refresh token.' };
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    const s = currentSession(request)!;
    await s.refreshing?.catch(() => {});
    const refreshToken = s.tokens?.refreshToken;
    sessions.destroy(s.id);
    let revoked = true;
    if (refreshToken) {
      try {
        await tessera.revoke(refreshToken);
      } catch (err) {
        revoked = false;
        request.log.warn({ err: String(err) }, 'could not revoke the refresh token');
      }
    }
    const fresh = sessions.create();
    fresh.notice = revoked
      ? { kind: 'notice', title: 'Signed out', text: 'Your session is closed and its refresh token revoked.' }
      : {
          kind: 'error',
          title: 'Signed out',
          text: 'Your session is closed here, but Tessera could not be told to revoke its refresh token.',
        };
    setCookie(reply, fresh);
    return reply.redirect('/login', 303);
  });

  return app;
}

const ENROLLED: Notice = {
  kind: 'notice',
  title: 'Two-step verification is on',
  text: 'From now on you will be asked for a code when you sign in.',
};

/** `npx tsx examples/trusted-app/server.ts`: the app alone, against a running Tessera and Orders API. */
async function main(): Promise<void> {
  const env = process.env;
  const app = await buildTrustedApp({
    tesseraUrl: env.TESSERA_URL ?? 'http://localhost:3000',
    ordersApiUrl: env.ORDERS_API_URL ?? 'http://localhost:3001',
    clientId: env.TRUSTED_APP_CLIENT_ID ?? 'acme-web',
    clientSecret: env.TRUSTED_APP_CLIENT_SECRET ?? 'demo-acme-web-secret-not-for-production',
    audience: env.ORDERS_API_AUDIENCE ?? 'https://api.acme.test/orders',
    cookieSecret: env.TRUSTED_APP_COOKIE_SECRET ?? randomBytes(32).toString('base64url'),
    logger: true,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => process.exit(0)));
  }
  await app.listen({ port: Number(env.TRUSTED_APP_PORT ?? 3002), host: env.TRUSTED_APP_HOST ?? '127.0.0.1' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
