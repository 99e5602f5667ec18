import type { Params } from '../../http/params.js';
import type { RequestInfo } from '../../login/context.js';
import type { Runtime } from '../../runtime.js';
import type { Client } from '../../store/repos/clients.js';
import type { TokenResponse } from '../tokens.js';

/** A token request after client authentication. */
export interface GrantRequest {
  rt: Runtime;
  client: Client;
  params: Params;
  request: RequestInfo;
}

/** One grant type of the token endpoint: a file in this folder, listed in index.ts. */
export interface Grant {
  grantType: string;
  /** The audit event code of a refused request (also one refused before the grant ran). */
  failureEvent: string;
  handle(req: GrantRequest): Promise<TokenResponse>;
}
