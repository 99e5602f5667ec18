import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import session from '@fastify/session';
import fastifyStatic from '@fastify/static';
import view from '@fastify/view';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Liquid } from 'liquidjs';
import type { AppContext, Realm } from './context.js';
import { accountRoutes } from './routes/account.js';
import { homeRoutes } from './routes/home.js';
import { loginRoutes } from './routes/login.js';
import { mfaRoutes } from './routes/mfa.js';
import { SessionStore } from './sessions.js';
import { tesseraClients } from './tessera.js';

/**
 * The trusted app: a server-rendered web app with its own login form, a
 * confidential client of Tessera. It forwards the credentials to Tessera's
 * token endpoint from its backend (the password-realm grant, through the
 * `auth0` SDK), walks the user through MFA when Tessera asks for it, keeps the
 * tokens in a server-side session, and calls the Orders API with the access
 * token. "Create account" and "Forgot password?" call Tessera's
 * /dbconnections endpoints through the same SDK. Fastify's own plugins do the plumbing: @fastify/session (sessions),
 * @fastify/csrf-protection (every POST), @fastify/view with Liquid (pages),
 * @fastify/static (the stylesheet).
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
  /** Signs the session cookie (32 characters or more). */
  cookieSecret: string;
  /** The directories of the login form; default Customers (`customers`) and Employees (`employees`). */
  realms?: Realm[];
  /**
   * The database connection where "Create account" creates users and "Forgot
   * password?" resets them; default Username-Password-Authentication, shown
   * in the login form as the directory `signupRealm` (default `customers`).
   */
  signupConnection?: string;
  signupRealm?: string;
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

export type { Realm };

export const DEFAULT_REALMS: Realm[] = [
  { label: 'Customers', realm: 'customers' },
  { label: 'Employees', realm: 'employees' },
];

export const DEFAULT_SCOPE = 'openid profile email offline_access read:orders';

const VIEWS = fileURLToPath(new URL('./views/', import.meta.url));
const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url));

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export async function buildTrustedApp(opts: TrustedAppOptions): Promise<FastifyInstance> {
  const ctx: AppContext = {
    now: opts.now ?? Date.now,
    realms: opts.realms ?? DEFAULT_REALMS,
    scope: opts.scope ?? DEFAULT_SCOPE,
    audience: opts.audience,
    sessions: opts.sessions ?? new SessionStore(),
    tessera: tesseraClients(opts),
    ordersUrl: `${opts.ordersApiUrl.replace(/\/+$/, '')}/orders`,
    signupConnection: opts.signupConnection ?? 'Username-Password-Authentication',
    signupRealm: opts.signupRealm ?? 'customers',
  };

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 16 * 1024 });
  await app.register(formbody);
  await app.register(cookie);
  await app.register(session, {
    secret: opts.cookieSecret,
    cookieName: 'acme_sid',
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secureCookies ?? false, path: '/' },
    store: ctx.sessions,
    saveUninitialized: false,
  });
  await app.register(csrf, { sessionPlugin: '@fastify/session' });
  await app.register(view, {
    // Liquid escapes every {{ output }}: no text reaches a page unescaped.
    engine: { liquid: new Liquid({ root: VIEWS, extname: '.liquid', outputEscape: 'escape', cache: true }) },
    root: VIEWS,
  });
  await app.register(fastifyStatic, { root: PUBLIC, prefix: '/static/', index: false });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });

  // Every POST is a form of this app: it must carry its session's CSRF token (the `_csrf` field).
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST') return done();
    app.csrfProtection(request, reply, done);
  });

  app.setErrorHandler((err: { code?: string; statusCode?: number }, request, reply) => {
    if (err.code?.startsWith('FST_CSRF_')) {
      request.log.info({ url: request.url, code: err.code }, 'form refused: bad or missing CSRF token');
      return reply.code(403).view('error', {
        title: 'This form has expired',
        text: 'The page was open for too long, or the form did not come from this app. Please try again.',
        link: { href: '/login', label: 'Back to sign-in' },
      });
    }
    request.log.error({ err }, 'request failed');
    const status = err.statusCode;
    const client = typeof status === 'number' && status >= 400 && status < 500;
    return reply
      .code(client ? status : 500)
      .view(
        'error',
        client
          ? { title: 'That request was not understood', text: 'Please go back and try again.' }
          : { title: 'Something went wrong', text: 'Please try again in a moment.' },
      );
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).view('error', { title: 'Page not found', text: 'There is nothing here.' }),
  );

  app.get('/health', async () => ({ status: 'ok' }));
  loginRoutes(app, ctx);
  accountRoutes(app, ctx);
  mfaRoutes(app, ctx);
  homeRoutes(app, ctx);
  return app;
}

/** `npx tsx examples/trusted-app/server.ts`: the app alone, against a running Tessera and Orders API. */
async function main(): Promise<void> {
  const env = process.env;
  const app = await buildTrustedApp({
    tesseraUrl: env.TESSERA_URL ?? 'http://localhost:3000',
    ordersApiUrl: env.ORDERS_API_URL ?? 'http://localhost:3001',
    clientId: env.TRUSTED_APP_CLIENT_ID ?? 'acme-web',
    clientSecret: env.TRUSTED_APP_CLIENT_SECRET ?? 'demo-acme-web-secret-not-for-production',
    audience: env.ORDERS_API_AUDIENCE ?? 'https://api.acme.test/orders',
    // Sessions live in memory, so a new secret at each start loses nothing.
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
