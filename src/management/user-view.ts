import { Type } from '@sinclair/typebox';
import type { ManagedUser } from '../identity/manage-users.js';

const iso = (t: number | null) => (t === null ? undefined : new Date(t).toISOString());

/** A user as Auth0's Management API shows it; never the password hash. */
export function userView({ user: u, connection }: ManagedUser): Record<string, unknown> {
  const local = u.user_id.startsWith('auth0|') ? u.user_id.slice('auth0|'.length) : u.user_id;
  const view: Record<string, unknown> = {
    user_id: u.user_id,
    email: u.email ?? undefined,
    email_verified: u.email_verified,
    username: u.username ?? undefined,
    ...u.profile,
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    identities: [{ connection, user_id: local, provider: 'auth0', isSocial: false }],
    app_metadata: u.app_metadata,
    user_metadata: u.user_metadata,
    blocked: u.blocked,
    last_login: iso(u.last_login),
    logins_count: u.logins_count,
  };
  // Auth0 fills name and nickname from the email when the profile has none.
  if (view.name === undefined && u.email) view.name = u.email;
  if (view.nickname === undefined) view.nickname = (u.email ?? u.username ?? '').split('@')[0];
  return view;
}

/** The response schema of a user (documentation: the plugin serializes with JSON.stringify). */
export const UserView = Type.Object(
  {
    user_id: Type.String(),
    email: Type.Optional(Type.String()),
    email_verified: Type.Boolean(),
    username: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    nickname: Type.Optional(Type.String()),
    picture: Type.Optional(Type.String()),
    given_name: Type.Optional(Type.String()),
    family_name: Type.Optional(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    identities: Type.Array(
      Type.Object({
        connection: Type.String(),
        user_id: Type.String(),
        provider: Type.Literal('auth0'),
        isSocial: Type.Boolean(),
      }),
    ),
    app_metadata: Type.Record(Type.String(), Type.Unknown()),
    user_metadata: Type.Record(Type.String(), Type.Unknown()),
    blocked: Type.Boolean(),
    last_login: Type.Optional(Type.String({ format: 'date-time' })),
    logins_count: Type.Integer(),
  },
  { additionalProperties: true, description: 'A user, in Auth0 shape.' },
);
