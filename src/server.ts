import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { dbconnectionsRoutes } from './http/dbconnections.js';
import { answerError, installErrorHandler } from './http/error-handler.js';
import { introspectRoutes } from './http/introspect.js';
import { mfaRoutes } from './http/mfa.js';
import { installInputCheck, parseForm } from './http/params.js';
import { revokeRoutes } from './http/revoke.js';
import { installLifecycle } from './http/lifecycle.js';
import { installSecurityHeaders, setSecurityHeaders } from './http/security-headers.js';
import { tokenRoutes } from './http/token.js';
import { unblockRoutes } from './http/unblock.js';
import { userinfoRoutes } from './http/userinfo.js';
import { wellKnownRoutes } from './http/well-known.js';
import { isManagementPath, managementApi, managementPrefix } from './management/index.js';
import { sendManagementError } from './management/wire.js';
import { pageRoutes } from './pages/index.js';
import { REDACT, type Runtime } from './runtime.js';

export interface ServerOptions {
  /** false silences request logs (tests); default: the runtime's level. */
  logger?: boolean;
  /** A logger of the caller's own (tests read what is logged); wins over `logger`. */
  loggerInstance?: FastifyBaseLogger;
  https?: { key: Buffer; cert: Buffer };
}

/** Builds the Fastify app for a runtime. No side effects: listening is the caller's business. */
export async function buildServer(rt: Runtime, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const base: FastifyServerOptions = {
    bodyLimit: rt.config.bodyLimit,
    ...(opts.loggerInstance
      ? { loggerInstance: opts.loggerInstance }
      : { logger: opts.logger === false ? false : { level: rt.config.logLevel, redact: REDACT } }),
    trustProxy: false,
    // Our own answer while closing (below): the OAuth shape, with Retry-After.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Query strings are read like forms: strictly, so that invalid UTF-8 is refused by name.
    routerOptions: { querystringParser: (query: string) => parseForm(query) },
    // Router errors (a bad URL, a path parameter too long) answer like every other error;
    // no hook runs for them, so the security headers are set here.
    frameworkErrors: (err, request, reply) => {
      setSecurityHeaders(reply, { tls: Boolean(opts.https) });
      if (isManagementPath(request.url, rt.config.issuer)) return sendManagementError(err, request, reply);
      return answerError(err, request, reply, rt.config.retryAfterSeconds);
    },
  };
  const app = (
    opts.https ? Fastify({ ...base, https: opts.https } as FastifyServerOptions) : Fastify(base)
  ) as FastifyInstance;
  installInputCheck(app, { bodyLimit: rt.config.bodyLimit });
  // Only forms and JSON are spoken here; anything else is a clear 415.
  app.removeContentTypeParser('text/plain');
  installErrorHandler(app, { retryAfterSeconds: rt.config.retryAfterSeconds });
  installSecurityHeaders(app, { tls: Boolean(opts.https) });
  installLifecycle(app, rt.config);
  // The routes, each a plugin: they inherit the hooks, parsers and error handler installed above.
  const routes = { rt };
  app.register(tokenRoutes, routes);
  app.register(revokeRoutes, routes);
  app.register(introspectRoutes, routes);
  app.register(userinfoRoutes, routes);
  app.register(mfaRoutes, routes);
  app.register(wellKnownRoutes, routes);
  app.register(unblockRoutes, routes);
  // Sign-up, password reset and email verification: the endpoints and the pages of their links.
  app.register(dbconnectionsRoutes, routes);
  app.register(pageRoutes, routes);
  // The Management API v2 under <issuer>api/v2/, with its own error shape.
  app.register(managementApi, { rt, prefix: managementPrefix(rt.config.issuer) });
  await app.after();
  return app;
}
