import type { HashQueue, RefreshRedemption, RequestInfo } from '../login-types/context.js';
import type { LoginSnapshot } from '../login-types/snapshot.js';
import type { Runtime } from '../runtime.js';
import type { Client } from '../store/repos/clients.js';
import type { Connection } from '../store/repos/connections.js';
import type { ResourceServer } from '../store/repos/resource-servers.js';
import type { UserAuthorization } from '../store/repos/roles.js';
import type { User, UserWithSecret } from '../store/repos/users.js';
import type { LoginContext } from './context.js';

/**
 * The one place a login context is made: by each entrance (a password
 * login, a login resumed after MFA, a refresh) and kept as a snapshot while
 * MFA is pending. The entrance reads its parameters and the rows they name;
 * these functions only assemble the context.
 */

/** Who asks: the runtime, the authenticated client and its request. */
export interface Entrance {
  rt: Runtime;
  client: Client;
  request: RequestInfo;
}

/** The audit codes of an entrance's success and failure (`sepft` / `fepft` …). */
export interface EntranceEvents {
  success: string;
  failure: string;
}

/** A password login (`password`, `password-realm`): its audience and scopes decided, the user not yet known. */
export interface PasswordLoginInput {
  grantType: string;
  connection: Connection;
  username: string;
  password: string;
  /** Where its hash waits its turn: the login's admission ticket. */
  hashQueue?: HashQueue;
  api: ResourceServer | undefined;
  requestedScopes: string[];
  /** The scopes granted (decideScopes), and whether `scope` is echoed. */
  scopes: string[];
  echoScope: boolean;
}

/** A password login, before identity.verify: a refresh token when `offline_access` was granted. */
export function passwordLoginContext(e: Entrance, p: PasswordLoginInput): LoginContext {
  return {
    rt: e.rt,
    client: e.client,
    request: e.request,
    grantType: p.grantType,
    protocol: 'oauth2-password',
    connection: p.connection,
    username: p.username,
    password: p.password,
    hashQueue: p.hashQueue,
    api: p.api,
    requestedScopes: p.requestedScopes,
    scopes: p.scopes,
    echoScope: p.echoScope,
    accessTokenClaims: {},
    idTokenClaims: {},
    gty: 'password',
    refresh: p.scopes.includes('offline_access') ? { mode: 'new' } : undefined,
    successEvent: 'sepft',
    failureEvent: 'fepft',
  };
}

/** What the MFA transaction keeps of a login paused for its second factor (never the password). */
export function snapshotLogin(ctx: LoginContext): LoginSnapshot {
  if (!ctx.user) throw new Error('a login is paused for MFA only once its user is known');
  return {
    userId: ctx.user.user_id,
    clientId: ctx.client.client_id,
    connectionId: ctx.connection.id,
    audience: ctx.api?.identifier ?? null,
    grantType: ctx.grantType,
    requestedScopes: ctx.requestedScopes,
    scopes: ctx.scopes,
    echoScope: ctx.echoScope,
    refresh: ctx.refresh?.mode === 'new',
    accessTokenClaims: ctx.accessTokenClaims,
    idTokenClaims: ctx.idTokenClaims,
    username: ctx.username,
    ...(ctx.metadataPatch ? { metadataPatch: ctx.metadataPatch } : {}),
  };
}

/** The rows a snapshot names, read again when the login resumes (the grant checks they still exist). */
export interface SnapshotRows {
  user: UserWithSecret;
  connection: Connection;
  api: ResourceServer | undefined;
}

/**
 * A login paused by MFA, restored once the factor is verified: the context
 * the password login had when it paused, the second factor now verified.
 */
export function restoredLogin(
  e: Entrance,
  snap: LoginSnapshot,
  rows: SnapshotRows,
  events: EntranceEvents,
): LoginContext {
  return {
    rt: e.rt,
    client: e.client,
    request: e.request,
    grantType: snap.grantType,
    protocol: 'oauth2-password',
    connection: rows.connection,
    username: snap.username,
    api: rows.api,
    requestedScopes: snap.requestedScopes,
    scopes: snap.scopes,
    echoScope: snap.echoScope,
    user: publicUser(rows.user),
    accessTokenClaims: snap.accessTokenClaims,
    idTokenClaims: snap.idTokenClaims,
    metadataPatch: snap.metadataPatch,
    gty: 'password',
    mfa: true,
    refresh: snap.refresh ? { mode: 'new' } : undefined,
    successEvent: events.success,
    failureEvent: events.failure,
  };
}

/** A refresh: the presented token checked (not yet used), its family's rows read, the scopes decided. */
export interface RefreshLoginInput {
  ticket: RefreshRedemption;
  user: UserWithSecret;
  connection: Connection;
  api: ResourceServer | undefined;
  /** The request's `scope` (may only narrow the family's), and the scopes of the new tokens. */
  requestedScopes: string[];
  scopes: string[];
  /** The user's roles and permissions for `api`, when already read (authz.load reads them otherwise). */
  authorization?: UserAuthorization;
}

/** A refresh: the user was authenticated at the family's first login; the token is redeemed last. */
export function refreshLoginContext(e: Entrance, r: RefreshLoginInput): LoginContext {
  const user = publicUser(r.user);
  return {
    rt: e.rt,
    client: e.client,
    request: e.request,
    grantType: 'refresh_token',
    protocol: 'oauth2-refresh-token',
    connection: r.connection,
    username: user.email ?? user.username ?? user.user_id,
    api: r.api,
    requestedScopes: r.requestedScopes,
    scopes: r.scopes,
    echoScope: r.scopes.join(' ') !== r.requestedScopes.join(' '),
    user,
    accessTokenClaims: {},
    idTokenClaims: {},
    gty: ['refresh_token', 'password'],
    refresh: { mode: 'redeem', ticket: r.ticket },
    ...(r.authorization ? { authorization: r.authorization } : {}),
    successEvent: 'sertft',
    failureEvent: 'fertft',
  };
}

/** The user without the password hash (a context never carries it). */
function publicUser(user: UserWithSecret): User {
  const { password_hash: _hash, ...rest } = user;
  return rest;
}
