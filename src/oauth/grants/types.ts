import type { RequestInfo } from '../../login/context.js';
import type { Runtime } from '../../runtime.js';
import type { GrantType } from '../../schemas/grant-types.js';
import type { Client } from '../../store/repos/clients.js';
import type { Params } from '../params.js';
import type { TokenResponse } from '../../tokens/tokens.js';

/** A token request after client authentication. */
export interface GrantRequest {
  rt: Runtime;
  client: Client;
  /** The grant's own parameters (`Grant.parameters`) and `grant_type`: nothing else reaches a grant. */
  params: Params;
  request: RequestInfo;
  /** When the request reached the server (performance.now(), ms): admission control counts the time it already took. */
  arrivedAt?: number;
}

/** One grant type of the token endpoint: a file in this folder, listed in index.ts. */
export interface Grant {
  grantType: GrantType;
  /**
   * The body parameters the grant reads (oidc-provider's `parameters`); the
   * token endpoint strips every other one but `grant_type` before `handle`.
   * Client authentication (`client_id`, `client_secret`) is done before.
   */
  parameters: ReadonlySet<string>;
  /**
   * True for the grants that check a password: an overloaded server refuses
   * their excess before anything else is done (identity/admission.ts).
   */
  hashesPassword?: boolean;
  /** The audit event code of a refused request (also one refused before the grant ran). */
  failureEvent: string;
  handle(req: GrantRequest): Promise<TokenResponse>;
}
