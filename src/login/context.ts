import type { RefreshTicket } from '../oauth/refresh-tokens.js';
import type { TokenResponse } from '../oauth/tokens.js';
import type { Attempt } from '../protection/attempt.js';
import type { Runtime } from '../runtime.js';
import type { Client } from '../store/repos/clients.js';
import type { Connection } from '../store/repos/connections.js';
import type { ResourceServer } from '../store/repos/resource-servers.js';
import type { UserAuthorization } from '../store/repos/roles.js';
import type { MetadataPatch } from '../store/repos/user-metadata.js';
import type { User } from '../store/repos/users.js';

/** The caller's budget of failed logins (suspicious-IP throttling), as `X-RateLimit-*` tells it. */
export interface RateLimit {
  limit: number;
  remaining: number;
  /** When the budget is whole again (epoch ms). */
  resetAt: number;
}

/** What Tessera knows about the HTTP request behind a login. */
export interface RequestInfo {
  /** The end user's IP (the forwarded one when the client is trusted for it). */
  ip: string;
  /** The connecting IP (the client's backend when it forwards the user's IP). */
  clientIp: string;
  userAgent?: string;
  hostname?: string;
  /** The request parameters without the password or any other secret. */
  body: Record<string, unknown>;
  /** Told the caller's rate-limit state whenever attack protection learns it (the answer's headers). */
  onRateLimit?: (r: RateLimit) => void;
}

/**
 * The state of one login as it moves through the pipeline. Each step reads
 * and fills in parts of it; the password is wiped as soon as it is checked.
 */
export interface LoginContext {
  rt: Runtime;
  client: Client;
  grantType: string;
  protocol: 'oauth2-password' | 'oauth2-refresh-token';
  request: RequestInfo;
  connection: Connection;
  username: string;
  password?: string;
  api: ResourceServer | undefined;
  requestedScopes: string[];
  scopes: string[];
  echoScope: boolean;
  /** Set by identity.verify. */
  user?: User;
  /**
   * Metadata that rules (`auth0.users.update*Metadata`) and actions
   * (`api.user.set*Metadata`) asked to persist: written once by
   * metadata.write after every script succeeded (after MFA, if asked).
   */
  metadataPatch?: MetadataPatch;
  /** The user's roles and permissions for the API, read by authz.load at every login and refresh. */
  authorization?: UserAuthorization;
  accessTokenClaims: Record<string, unknown>;
  idTokenClaims: Record<string, unknown>;
  /**
   * Set when a rule or action asks for MFA (`context.multifactor`,
   * `api.multifactor.enable`); the mfa.decide step turns it into `mfa_required`.
   */
  multifactor?: { provider: string; allowRememberBrowser?: boolean };
  /**
   * Set when this login verified a second factor: tokens then carry
   * `amr: ["mfa"]`, which the MFA API requires to add or remove a factor.
   */
  mfa?: boolean;
  /** The access token's `gty` claim. */
  gty: string | string[];
  /**
   * The refresh token of the answer: start a new family (a password login
   * that asked for offline_access), or redeem the presented token once
   * everything else passed (refresh.redeem), answering its successor (none:
   * a non-rotating client keeps its token).
   */
  refresh?: { mode: 'new' } | { mode: 'redeem'; ticket: RefreshTicket };
  /** Set by tokens.issue. */
  response?: TokenResponse;
  /** The audit event code of a success (`sepft` for a password login). */
  successEvent: string;
  /** The audit event code of a failure; a step may choose a better one (`fp`, `fu`). */
  failureEvent: string;
  /**
   * Set by protection.precheck: the attempt it counted before the password
   * check, settled by protection.record on success and by runLogin on failure.
   */
  protection?: Attempt;
}

/** One named step of the login pipeline. */
export interface LoginStep {
  name: string;
  run(ctx: LoginContext): Promise<void>;
}
