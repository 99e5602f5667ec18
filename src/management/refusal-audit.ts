import type { FastifyRequest } from 'fastify';
import { recordEvent } from '../events/log.js';
import type { ManagementContext } from './context.js';
import { toManagement } from './wire.js';

/** A client's rate limit is recorded at most once in this long, per node. */
export const API_LIMIT_AUDIT_MS = 60_000;

/** When each client's rate limit was last recorded, per Management API instance. */
const lastLimits = new WeakMap<ManagementContext, Map<string, number>>();

function firstLimitInAMinute(ctx: ManagementContext, clientId: string): boolean {
  const now = ctx.rt.now();
  const last = lastLimits.get(ctx) ?? new Map<string, number>();
  lastLimits.set(ctx, last);
  const at = last.get(clientId);
  if (at !== undefined && now >= at && now - at < API_LIMIT_AUDIT_MS) return false;
  // Only clients with a verified token reach here, so the map stays small; cleared to be sure.
  if (last.size >= 10_000) last.clear();
  last.set(clientId, now);
  return true;
}

/**
 * Records a refusal of a caller whose token Tessera signed and verified:
 * `fapi` "Insufficient scope" for a 403, `api_limit` for a 429 (at most once
 * a minute per client and node: a flood of refusals writes one
 * row). A 401 is never recorded: anyone can send a bad token, and a row per
 * try would let them write to the audit log at will. Best effort: the
 * refusal is answered even when the event cannot be written (the server log
 * says why).
 */
export async function auditRefusal(
  ctx: ManagementContext,
  request: FastifyRequest,
  clientId: string,
  refusal: unknown,
): Promise<void> {
  const answer = toManagement(refusal);
  if (!answer || (answer.status !== 403 && answer.status !== 429)) return;
  const limited = answer.status === 429;
  if (limited && !firstLimitInAMinute(ctx, clientId)) return;
  try {
    await recordEvent(ctx.rt, {
      type: limited ? 'api_limit' : 'fapi',
      description: limited ? 'Rate limit of the Management API reached' : 'Insufficient scope',
      client_id: clientId,
      ip: request.ip,
      user_agent: request.headers['user-agent'] ?? null,
      user_id: null,
      details: {
        request: { method: request.method, path: request.url.split('?')[0] },
        response: { statusCode: answer.status, message: answer.body.message },
        ...(limited ? { limit: { ...ctx.rateLimit } } : {}),
      },
    });
  } catch (err) {
    ctx.rt.log.warn({ err, client_id: clientId }, 'could not record a Management API refusal');
  }
}
