import type { LoginContext } from '../login-types/context.js';
import type { User } from '../store/repos/users.js';

/**
 * The data tenant scripts see, built from the login context as plain JSON
 * (it is copied into the sandbox). Never the password: `ctx.request.body`
 * is already scrubbed of every secret parameter, and the user carries no
 * password hash.
 */

/** Auth0's user profile for rules and `event.user` (dates as ISO strings). */
export function scriptUser(ctx: LoginContext, user: User): Record<string, unknown> {
  const p = user.profile;
  const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());
  return {
    ...p,
    user_id: user.user_id,
    email: user.email ?? undefined,
    email_verified: user.email_verified,
    username: user.username ?? undefined,
    name: p.name ?? user.email ?? user.username ?? undefined,
    nickname: p.nickname ?? (user.email ? user.email.split('@')[0] : (user.username ?? undefined)),
    picture: p.picture,
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
    blocked: user.blocked,
    logins_count: user.logins_count,
    last_login: iso(user.last_login),
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
    identities: [
      {
        provider: 'auth0',
        // Auth0's identity id is the user id without its `auth0|` provider prefix.
        user_id: user.user_id.replace(/^auth0\|/, ''),
        connection: ctx.connection.name,
        isSocial: false,
      },
    ],
  };
}

/** The rule's `context` object (spec section 4). */
export function ruleContext(ctx: LoginContext, tenant: string): Record<string, unknown> {
  return {
    tenant,
    clientID: ctx.client.client_id,
    clientName: ctx.client.name,
    clientMetadata: ctx.client.client_metadata ?? {},
    connection: ctx.connection.name,
    connectionID: ctx.connection.id,
    connectionStrategy: ctx.connection.strategy,
    protocol: ctx.protocol,
    request: {
      ip: ctx.request.ip,
      userAgent: ctx.request.userAgent,
      hostname: ctx.request.hostname,
      query: {},
      body: ctx.request.body,
    },
    stats: { loginsCount: ctx.user?.logins_count ?? 0 },
    accessToken: { scope: [...ctx.scopes] },
    idToken: {},
    authorization: { roles: [...(ctx.authorization?.roles ?? [])] },
  };
}

/**
 * A rule's input as scriptUser and ruleContext shape it (their keys in
 * their order, every value blank), for the prelude's warm-up run in each
 * fresh context (sandbox-source.ts): a script's own run then finds the
 * prelude's code and its objects' shapes already met. No one's data: it
 * is a constant. test/rules/rules-context.test.ts keeps it in step.
 */
export const RULE_INPUT_SHAPE = {
  kind: 'rule',
  // A user whose profile has a name (the profile's keys come first).
  user: {
    name: '',
    user_id: '',
    email: '',
    email_verified: false,
    nickname: '',
    app_metadata: {},
    user_metadata: {},
    blocked: false,
    logins_count: 0,
    last_login: '',
    created_at: '',
    updated_at: '',
    identities: [{ provider: '', user_id: '', connection: '', isSocial: false }],
  },
  context: {
    tenant: '',
    clientID: '',
    clientName: '',
    clientMetadata: {},
    connection: '',
    connectionID: '',
    connectionStrategy: '',
    protocol: '',
    request: { ip: '', userAgent: '', hostname: '', query: {}, body: {} },
    stats: { loginsCount: 0 },
    accessToken: { scope: [''] },
    idToken: {},
    authorization: { roles: [] },
  },
  configuration: {},
} as const;

/**
 * A blank action input with the keys of `actionEvent`'s, in its order: the
 * prelude's warm-up of the action path (sandbox-source.ts). A test keeps
 * the two in step.
 */
export const ACTION_INPUT_SHAPE = {
  kind: 'action',
  event: {
    client: { client_id: '', name: '', metadata: {} },
    connection: { id: '', name: '', strategy: '', metadata: {} },
    request: { ip: '', user_agent: '', hostname: '', method: '', query: {}, body: {} },
    stats: { logins_count: 0 },
    tenant: { id: '' },
    user: RULE_INPUT_SHAPE.user,
    authorization: { roles: [] },
    transaction: { protocol: '', requested_scopes: [''] },
    resource_server: { identifier: '' },
    secrets: {},
  },
} as const;

/** The post-login action's `event` (spec section 4). */
export function actionEvent(
  ctx: LoginContext,
  user: Record<string, unknown>,
  tenant: string,
  secrets: Record<string, string>,
): Record<string, unknown> {
  return {
    client: {
      client_id: ctx.client.client_id,
      name: ctx.client.name,
      metadata: ctx.client.client_metadata ?? {},
    },
    connection: {
      id: ctx.connection.id,
      name: ctx.connection.name,
      strategy: ctx.connection.strategy,
      metadata: {},
    },
    request: {
      ip: ctx.request.ip,
      user_agent: ctx.request.userAgent,
      hostname: ctx.request.hostname,
      method: 'POST',
      query: {},
      body: ctx.request.body,
    },
    stats: { logins_count: ctx.user?.logins_count ?? 0 },
    tenant: { id: tenant },
    user,
    authorization: { roles: [...(ctx.authorization?.roles ?? [])] },
    transaction: { protocol: ctx.protocol, requested_scopes: [...ctx.requestedScopes] },
    resource_server: ctx.api ? { identifier: ctx.api.identifier } : undefined,
    secrets,
  };
}
