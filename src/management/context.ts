import type { Runtime } from '../runtime.js';
import { DEFAULTS } from '../config/defaults.js';

/** The per-client rate limit: a token bucket of `capacity` requests, refilled at `perSecond`. */
export interface RateLimitOptions {
  capacity: number;
  perSecond: number;
}

/** What the management plugin shares with its hooks and routes (`app.management`). */
export interface ManagementContext {
  rt: Runtime;
  /** `<issuer>api/v2/`: the audience every token must have. */
  audience: string;
  rateLimit: RateLimitOptions;
}

/** Who is calling, once `requireScope` let the request through (`request.managementCaller`). */
export interface ManagementCaller {
  /** The machine client (`azp`) the token was issued to. */
  clientId: string;
  scopes: string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    management: ManagementContext;
  }
  interface FastifyRequest {
    managementCaller?: ManagementCaller;
  }
}

/** Auth0's default: 50 requests in a burst, 15 a second after. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = DEFAULTS.management.rateLimit;
