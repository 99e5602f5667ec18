import type { FastifyRequest } from 'fastify';
import { recordEvent } from '../events/log.js';
import { callerOf } from './auth.js';
import { toManagement } from './wire.js';

/** What an audited operation is about. */
export interface AuditFacts {
  /** The operation, as Auth0 describes it: `Create a User`, `Update a User`… */
  description: string;
  /** The user the operation is about, when there is one. */
  userId?: string | null;
  /** More to keep with the event (never a secret). */
  details?: Record<string, unknown>;
}

/**
 * Writes a Management API audit event: `sapi` (success) or `fapi`
 * (failure, with the answer's status and message) for the calling client.
 */
export async function auditEvent(
  request: FastifyRequest,
  ok: boolean,
  facts: AuditFacts,
  failure?: unknown,
): Promise<void> {
  const caller = callerOf(request);
  const refused = failure === undefined ? undefined : toManagement(failure);
  await recordEvent(request.server.management.rt, {
    type: ok ? 'sapi' : 'fapi',
    description: facts.description,
    client_id: caller.clientId,
    ip: request.ip,
    user_agent: request.headers['user-agent'] ?? null,
    user_id: facts.userId ?? null,
    details: {
      request: { method: request.method, path: request.url.split('?')[0] },
      ...(refused ? { response: { statusCode: refused.status, message: refused.body.message } } : {}),
      ...facts.details,
    },
  });
}

/**
 * Runs a write and records it: `sapi` when `op` resolves, `fapi` when it
 * throws (then the error goes on to the error handler). `userIdOf` names
 * the user of the result, for operations that create one.
 */
export async function audited<T>(
  request: FastifyRequest,
  facts: AuditFacts,
  op: () => Promise<T>,
  userIdOf?: (result: T) => string | undefined,
): Promise<T> {
  let result: T;
  try {
    result = await op();
  } catch (err) {
    await auditEvent(request, false, facts, err);
    throw err;
  }
  await auditEvent(request, true, { ...facts, userId: facts.userId ?? userIdOf?.(result) ?? null });
  return result;
}
