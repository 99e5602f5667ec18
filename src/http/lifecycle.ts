import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { errors } from '../errors/index.js';
import { withDeadline } from '../store/deadline.js';

const scope = Symbol('tessera.deadline-scope');
type Scoped = FastifyRequest & { [scope]?: AsyncResource };

/**
 * A request's life at the edge. While the server closes (SIGTERM), requests
 * still arriving on open connections get the OAuth 503 with Retry-After and
 * `Connection: close`. Every other request runs under a deadline
 * (requestTimeoutMs): past it, or once its client has gone, no further
 * database query starts, so abandoned work is not committed later.
 */
export function installLifecycle(
  app: FastifyInstance,
  config: Pick<Config, 'requestTimeoutMs' | 'retryAfterSeconds'>,
): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', (request: Scoped, reply, done) => {
    if (closing) return done(errors.shuttingDown(config.retryAfterSeconds));
    withDeadline(config.requestTimeoutMs, (deadline) => {
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) deadline.gone = true;
      });
      // Body parsing ends in the socket's async context: the handler resumes in this one (preValidation).
      request[scope] = new AsyncResource('tessera-request');
      done();
    });
  });
  app.addHook('preValidation', (request: Scoped, _reply, done) => {
    const resource = request[scope];
    if (resource) resource.runInAsyncScope(done);
    else done();
  });
}
