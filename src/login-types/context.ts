import type { Client } from '../store/repos/clients.js';
import type { Connection } from '../store/repos/connections.js';
import type { LoginCount, LogEvent } from '../store/repos/events.js';
import type { ResourceServer } from '../store/repos/resource-servers.js';
import type { UserAuthorization } from '../store/repos/roles.js';
import type { MetadataPatch } from '../store/repos/user-metadata.js';
import type { User } from '../store/repos/users.js';
import type { LoginFailure } from './failure.js';

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
  /** True once the client closed the connection before its answer: a login's waits end, nothing more is done for it. */
  clientGone?: () => boolean;
}

/** Runs a login's password hash in its place in admission control's queue (identity/admission.ts `Ticket.run`). */
export type HashQueue = <T>(hash: () => Promise<T>) => Promise<T>;

/**
 * Attack protection's hold on one password login (protection/attempt.ts),
 * as the pipeline sees it: counted before the password check, settled once.
 */
export interface LoginAttempt {
  /** The password was right: forget the failures. */
  succeeded(): Promise<void>;
  /** The login failed: a wrong password counts (`ctx.failure`), anything else gives the reservation back. */
  failed(): Promise<void>;
  /** Breached password detection: refuses (or reports) a right password found in the corpus. */
  checkBreached(): Promise<void>;
}

/** A presented refresh token, checked and not yet used (tokens/refresh-tokens.ts `RefreshTicket`). */
export interface RefreshRedemption {
  /**
   * Uses the token up once; answers its successor (undefined: a non-rotating client keeps it).
   * `event` (the success's audit event) is written atomically with the rotation.
   */
  redeem(event?: Omit<LogEvent, 'id' | 'date'>): Promise<string | undefined>;
}

/**
 * The state of one login as it moves through the pipeline. Each step reads
 * and fills in parts of it; the password is wiped as soon as it is checked.
 *
 * It lives below the domain modules (they read and change it: attack
 * protection, the rules, MFA), so the two types that live above them are
 * parameters: `Rt`, the services a login reaches (the domain uses
 * `LoginContext<Runtime>`), and `Answer`, the token response
 * (login/context.ts fixes both for the pipeline).
 */
export interface LoginContext<Rt = unknown, Answer = unknown> {
  rt: Rt;
  client: Client;
  grantType: string;
  protocol: 'oauth2-password' | 'oauth2-refresh-token';
  request: RequestInfo;
  connection: Connection;
  username: string;
  password?: string;
  /** Where a password login's hash waits its turn (admission control's ticket); none: the runtime's default queue. */
  hashQueue?: HashQueue;
  api: ResourceServer | undefined;
  requestedScopes: string[];
  scopes: string[];
  echoScope: boolean;
  /** Set by identity.verify. */
  user?: User;
  /**
   * Set by identity.verify once the password is right: the login counted on
   * the user (logins_count, last_login) whatever happens next (a rule's
   * refusal, an MFA pause), written with the login's audit event, success
   * (events.log) or failure (runLogin), in one write.
   */
  loginCount?: LoginCount;
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
  refresh?: { mode: 'new' } | { mode: 'redeem'; ticket: RefreshRedemption };
  /** Set by tokens.issue. */
  response?: Answer;
  /** The audit event code of a success (`sepft` for a password login). */
  successEvent: string;
  /** The entrance's audit event code of a failure (`fepft`), unless `failure` names a kind. */
  failureEvent: string;
  /** Set by the step that refuses a login for a reason of its own (failure.ts): its audit code. */
  failure?: LoginFailure;
  /**
   * Set by protection.precheck: the attempt it counted before the password
   * check, settled by protection.record on success and by protection.precheck's
   * onFailure on failure.
   */
  protection?: LoginAttempt;
}
