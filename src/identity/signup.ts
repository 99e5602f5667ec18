import { recordEvent } from '../events/log.js';
import { renderEmail } from '../notify/templates.js';
import { takeSignup } from '../protection/account-limits.js';
import { loadPolicy } from '../protection/policy.js';
import type { Runtime } from '../runtime.js';
import { findClient } from '../store/repos/clients.js';
import { type Connection, findConnectionByName } from '../store/repos/connections.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { insertUsers, type UserProfile, type UserWithSecret, type UserWrite } from '../store/repos/users.js';
import { AccountError, accountErrors } from '../errors/account.js';
import { judgePassword } from './password-rules.js';
import { hashPassword } from './passwords.js';
import { identifierClash, newUserId } from './users.js';
import { queueVerificationEmail } from './verification.js';

/** Auth0's sign-up body, already checked for types and lengths at the edge. */
export interface SignupInput {
  client_id: string;
  connection: string;
  email: string;
  password: string;
  username?: string;
  given_name?: string;
  family_name?: string;
  name?: string;
  nickname?: string;
  picture?: string;
  phone_number?: string;
  user_metadata?: Record<string, string>;
}

export interface RequestInfo {
  ip: string;
  userAgent?: string;
}

const PROFILE = ['given_name', 'family_name', 'name', 'nickname', 'picture', 'phone_number'] as const;

/** Auth0's default username rule: 1 to 15 characters; letters, digits and `_+-.!#$'^`~@`. */
const USERNAME_CHARS = /^[A-Za-z0-9_+\-.!#$'^`~@]+$/;

/** A client and one of its database connections, or the error that tells neither exists. */
export async function clientConnection(
  rt: Runtime,
  clientId: string,
  connectionName: string,
): Promise<{ client: { client_id: string; name: string }; connection: Connection }> {
  const record = await findClient(rt.store.db, clientId);
  if (!record) throw accountErrors.invalidClient();
  const connection = await findConnectionByName(rt.store.db, connectionName);
  if (connection?.strategy !== 'auth0' || !connection.enabled_clients.includes(clientId)) {
    throw accountErrors.invalidConnection();
  }
  return { client: record.client, connection };
}

function checkUsername(conn: Connection, username: string | undefined): void {
  const o = (conn.options ?? {}) as {
    requires_username?: boolean;
    validation?: { username?: { min?: number; max?: number } };
  };
  if (!o.requires_username) {
    // Auth0's answer: a username would be a second identifier the connection does not expect.
    if (username !== undefined) {
      throw accountErrors.invalidBody('Cannot set username for connection without requires_username');
    }
    return;
  }
  if (username === undefined) throw accountErrors.missing('username');
  const min = o.validation?.username?.min ?? 1;
  const max = o.validation?.username?.max ?? 15;
  const n = [...username].length;
  if (n < min || n > max) {
    throw accountErrors.invalidBody(`username must be ${min} to ${max} characters`);
  }
  if (!USERNAME_CHARS.test(username)) {
    throw accountErrors.invalidBody("username may only contain letters, digits and _+-.!#$'^`~@");
  }
}

/** The answer of a sign-up: Auth0's shape, `_id` without the `auth0|` prefix. */
export type SignupAnswer = Record<string, unknown> & { _id: string; email: string; email_verified: false };

/**
 * Creates a user as Auth0's `/dbconnections/signup` does. An address or
 * username already taken is `invalid_signup` after the same work as a
 * success (the password is hashed either way), so the answer does not tell
 * who has an account. Logs `ss` or `fs`; the verification email goes out in
 * the background.
 */
export async function signUp(rt: Runtime, input: SignupInput, req: RequestInfo): Promise<SignupAnswer> {
  const db = rt.store.db;
  const throttle = await takeSignup(db, rt.protection.counters, req.ip, rt.now());
  if (!throttle.ok) {
    await recordEvent(rt, {
      type: 'limit_sul',
      description: 'Too many sign-ups from this IP address (suspicious IP throttling)',
      client_id: input.client_id,
      connection: input.connection,
      user_name: input.email,
      ip: req.ip,
      user_agent: req.userAgent ?? null,
    });
    throw accountErrors.tooManyAttempts(throttle.retryAfterS);
  }
  let ctx: Awaited<ReturnType<typeof clientConnection>> | undefined;
  try {
    ctx = await clientConnection(rt, input.client_id, input.connection);
    const { connection } = ctx;
    if ((connection.options as { disable_signup?: boolean } | undefined)?.disable_signup === true) {
      throw accountErrors.signupDisabled();
    }
    checkUsername(connection, input.username);
    const refusal = judgePassword(input.password, connection, input);
    if (refusal?.kind === 'strength') throw accountErrors.strength(refusal.rules, refusal.policy);
    if (refusal?.kind === 'dictionary') throw accountErrors.dictionary();
    if (refusal?.kind === 'user_info') throw accountErrors.userInfo();
    if ((await loadPolicy(db)).breached?.block && (await rt.protection.corpus.has(input.password))) {
      throw accountErrors.leaked();
    }
    const answer = await createAccount(rt, connection, input);
    await recordEvent(rt, {
      type: 'ss',
      description: 'Successful signup',
      client_id: ctx.client.client_id,
      client_name: ctx.client.name,
      connection: connection.name,
      connection_id: connection.id,
      user_id: `auth0|${answer._id}`,
      user_name: input.email,
      ip: req.ip,
      user_agent: req.userAgent ?? null,
    });
    queueVerificationEmail(rt, `auth0|${answer._id}`, ctx.client, { welcomeIfOff: true });
    return answer;
  } catch (err) {
    if (err instanceof AccountError) {
      await recordEvent(rt, {
        type: 'fs',
        description: err.message,
        client_id: input.client_id,
        client_name: ctx?.client.name ?? null,
        connection: input.connection,
        connection_id: ctx?.connection.id ?? null,
        user_name: input.email,
        ip: req.ip,
        user_agent: req.userAgent ?? null,
        details: { error: err.code },
      });
    }
    throw err;
  }
}

async function createAccount(rt: Runtime, connection: Connection, input: SignupInput): Promise<SignupAnswer> {
  const userId = newUserId();
  const profile: UserProfile = {};
  for (const k of PROFILE) if (input[k] !== undefined) profile[k] = input[k];
  const write: UserWrite = {
    user_id: userId,
    connection_id: connection.id,
    email: input.email,
    username: input.username ?? null,
    email_verified: false,
    blocked: false,
    profile,
    app_metadata: {},
    user_metadata: input.user_metadata ?? {},
    // Hashed before the clash is known, so a taken address costs the same time.
    password_hash: await hashPassword(input.password),
  };
  const clash = { email: input.email, username: input.username };
  try {
    await rt.store.db.transaction().execute(async (trx) => {
      if (await identifierClash(trx, connection, clash)) throw accountErrors.invalidSignup();
      await insertUsers(trx, [write], rt.now());
    });
  } catch (err) {
    if (err instanceof AccountError) throw err;
    // A concurrent sign-up took the address between the check and the insert (unique index).
    if (await identifierClash(rt.store.db, connection, clash)) throw accountErrors.invalidSignup();
    throw err;
  }
  const answer: SignupAnswer = {
    _id: userId.slice('auth0|'.length),
    email: input.email,
    email_verified: false,
  };
  if (input.username !== undefined) answer.username = input.username;
  for (const k of PROFILE) if (input[k] !== undefined) answer[k] = input[k];
  if (input.user_metadata !== undefined) answer.user_metadata = input.user_metadata;
  return answer;
}

/** The variables every account email has. */
export async function accountVars(
  rt: Runtime,
  user: UserWithSecret,
  client?: { client_id: string; name: string },
) {
  const tenant = await getTenantSettings(rt.store.db);
  return {
    friendly_name: tenant.friendly_name ?? 'Tessera',
    support_email: tenant.support_email,
    support_url: tenant.support_url,
    user: userVars(user),
    ...(client ? { application: { name: client.name, client_id: client.client_id } } : {}),
  };
}

/**
 * The welcome email, when the tenant enabled it: after the address is
 * verified, or at sign-up when verification emails are off (as Auth0 does).
 */
export async function sendWelcome(
  rt: Runtime,
  user: UserWithSecret,
  client?: { client_id: string; name: string },
) {
  if (!user.email) return;
  const welcome = await renderEmail(
    rt.store.db,
    'welcome_email',
    user.email,
    await accountVars(rt, user, client),
  );
  if (welcome) await rt.notify.email.send(welcome);
}

/** What a template may know of a user (never the password hash). */
export function userVars(u: {
  user_id: string;
  email: string | null;
  username: string | null;
  email_verified: boolean;
  profile: UserProfile;
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    user_id: u.user_id,
    email: u.email,
    username: u.username,
    email_verified: u.email_verified,
    ...u.profile,
    user_metadata: u.user_metadata,
    app_metadata: u.app_metadata,
  };
}
