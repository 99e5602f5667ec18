import type { FastifyReply } from 'fastify';
import { managementErrors } from '../errors/index.js';
import type { ManagementContext } from './context.js';

/**
 * Takes one request from the calling client's bucket (the runtime's
 * counters: memory, or Redis shared by every node) and sets
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
 * (epoch seconds when the bucket is full again). An empty bucket is a 429
 * `too_many_requests` with `Retry-After`.
 */
export async function takeClientRate(
  ctx: ManagementContext,
  clientId: string,
  reply: FastifyReply,
): Promise<void> {
  const { capacity, perSecond } = ctx.rateLimit;
  const rateMs = Math.max(1, Math.round(1000 / perSecond));
  const now = ctx.rt.now();
  const take = await ctx.rt.protection.counters.take(`mgmt:${clientId}`, capacity, rateMs, now);
  reply.header('X-RateLimit-Limit', String(capacity));
  reply.header('X-RateLimit-Remaining', String(take.remaining));
  reply.header('X-RateLimit-Reset', String(Math.ceil(take.fullAt / 1000)));
  if (!take.ok) throw managementErrors.tooManyRequests(Math.max(1, Math.ceil(take.waitMs / 1000)));
}
