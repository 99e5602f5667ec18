import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { dbconnectionsRoutes } from './http/dbconnections.js';
import { installErrorHandler } from './http/error-handler.js';
import { introspectRoutes } from './http/introspect.js';
import { mfaRoutes } from './http/mfa.js';
import { parseForm } from './http/params.js';
import { revokeRoutes } from './http/revoke.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { tokenRoutes } from './http/token.js';
import { protectionRoutes } from './http/unblock.js';
import { userinfoRoutes } from './http/userinfo.js';
import { wellKnownRoutes } from './http/well-known.js';
import { pageRoutes } from './pages/index.js';
import { REDACT, type Runtime } from './runtime.js';

export interface ServerOptions {
  /** false silences request logs (tests); default: the runtime's level. */
  logger?: boolean;
  https?: { key: Buffer; cert: Buffer };
}

/** Builds the Fastify app for a runtime. No side effects: listening is the caller's business. */
export async function buildServer(rt: Runtime, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const base: FastifyServerOptions = {
    bodyLimit: rt.config.bodyLimit,
    logger: opts.logger === false ? false : { level: rt.config.logLevel, redact: REDACT },
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  };
  const app = (
    opts.https ? Fastify({ ...base, https: opts.https } as FastifyServerOptions) : Fastify(base)
  ) as FastifyInstance;
  await app.register(formbody, { parser: parseForm, bodyLimit: rt.config.bodyLimit });
  // Only forms and JSON are spoken here; anything else is a clear 415.
  app.removeContentTypeParser('text/plain');
  installErrorHandler(app);
  installSecurityHeaders(app, { tls: Boolean(opts.https) });
  tokenRoutes(app, rt);
  revokeRoutes(app, rt);
  introspectRoutes(app, rt);
  userinfoRoutes(app, rt);
  mfaRoutes(app, rt);
  wellKnownRoutes(app, rt);
  protectionRoutes(app, rt);
  // Sign-up, password reset and email verification: the endpoints and the pages of their links.
  await dbconnectionsRoutes(app, rt);
  await pageRoutes(app, rt);
  return app;
}
