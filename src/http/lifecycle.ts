import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { errors } from '../errors/index.js';
import { type Deadline, deadlinesScoped, withDeadline } from '../store/deadline.js';

const scope = Symbol('tessera.deadline-scope');
const deadlineOf = Symbol('tessera.deadline');
type Scoped = FastifyRequest & { [scope]?: AsyncResource; [deadlineOf]?: Deadline };

/**
 * Whether the request's client has closed the connection before its answer:
 * what a login waits for (its turn in attack protection, the hash queue) is
 * then given up instead of done for nobody. False outside the lifecycle.
 */
export function clientGoneOf(request: FastifyRequest): () => boolean {
  return () => (request as Scoped)[deadlineOf]?.gone === true;
}

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
      request[deadlineOf] = deadline;
      // Body parsing ends in the socket's async context: the handler resumes in this one (preValidation).
      if (deadlinesScoped()) request[scope] = new AsyncResource('tessera-request');
      done();
    });
  });
  app.addHook('preValidation', (request: Scoped, _reply, done) => {
    const resource = request[scope];
    if (resource) resource.runInAsyncScope(done);
    else done();
  });
}
