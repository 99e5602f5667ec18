import type { LoginContext as Context } from '../login-types/context.js';
import type { LoginStep as Step } from '../login-types/step.js';
import type { TokenResponse } from '../tokens/tokens.js';
import type { Runtime } from '../runtime.js';

export type { RateLimit, RequestInfo } from '../login-types/context.js';

/**
 * The pipeline's login context (login-types/context.ts): the runtime's
 * services and an OAuth token response.
 */
export type LoginContext = Context<Runtime, TokenResponse>;

/** One named step of the pipeline (login-types/step.ts). */
export type LoginStep = Step<LoginContext>;
