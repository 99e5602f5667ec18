import type { FastifyBaseLogger } from 'fastify';
import type { FastifyChildLoggerFactory } from 'fastify/types/logger.js';
import pino from 'pino';

const { chindingsSym } = pino.symbols;

/**
 * Fastify's per-request child logger, without the redaction work pino does
 * for it: pino runs the redaction paths (`*.password` …, runtime.ts REDACT)
 * over every binding of every child, and Fastify makes one child per request
 * whose one binding, `reqId`, is Tessera's own request counter and never a
 * secret. So the child is made without bindings and the reqId is appended
 * as pino itself writes it (`,"reqId":…`). What the request then logs is
 * redacted as before. A logger that is not pino's (a test's) or other
 * bindings get the ordinary child.
 */
export const requestChildLogger: FastifyChildLoggerFactory = (logger, bindings, opts) => {
  const keys = Object.keys(bindings);
  const reqId = (bindings as Record<string, unknown>).reqId;
  const own = logger as unknown as Record<symbol, unknown>;
  if (keys.length !== 1 || (typeof reqId !== 'string' && typeof reqId !== 'number') || !(chindingsSym in own))
    return logger.child(bindings, opts);
  const child = logger.child({}, opts) as unknown as Record<symbol, unknown>;
  child[chindingsSym] = `${child[chindingsSym] as string},"reqId":${JSON.stringify(reqId)}`;
  return child as unknown as FastifyBaseLogger;
};
