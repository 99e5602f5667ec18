import { type Static, Type } from '@sinclair/typebox';
import { Email, Metadata, Name, NonEmpty, StringEnum, strict, Text } from './common.js';
import { Permission } from './role.js';
import type { Issue } from './validate.js';

// Whole-string formats, so a placeholder such as "$2b$10$..." is caught here, not at login
// (the bulk import, identity/import-record.ts, checks with the same ones).
export const HASH_FORMAT = {
  bcrypt: /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/,
  argon2: /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/,
};

export const CustomPasswordHash = Type.Object(
  {
    algorithm: StringEnum(['bcrypt', 'argon2'], { description: 'The algorithm of the imported hash.' }),
    hash: Type.Object(
      { value: NonEmpty({ description: 'The hash, e.g. `$2b$10$…` or `$argon2id$…`.' }) },
      strict({ description: 'The hash, as Auth0 imports it.' }),
    ),
  },
  strict({ description: 'A password hash imported from another system.' }),
);
export type CustomPasswordHash = Static<typeof CustomPasswordHash>;

/** A user of a database connection. */
export const User = Type.Object(
  {
    connection: Name({ description: 'The name of its connection.' }),
    user_id: Type.Optional(Name({ description: 'Stable id, e.g. `auth0|alice`.' })),
    email: Type.Optional(Email({ description: 'Email address, unique in its connection.' })),
    username: Type.Optional(Name({ description: 'Username, unique in its connection.' })),
    email_verified: Type.Optional(Type.Boolean({ description: 'The email address was verified.' })),
    password: Type.Optional(NonEmpty({ description: 'Initial password; stored hashed.' })),
    custom_password_hash: Type.Optional(CustomPasswordHash),
    name: Type.Optional(Text({ description: 'Full name.' })),
    nickname: Type.Optional(Text({ description: 'Nickname.' })),
    picture: Type.Optional(Text({ description: 'URL of a picture.' })),
    given_name: Type.Optional(Text({ description: 'Given name.' })),
    family_name: Type.Optional(Text({ description: 'Family name.' })),
    blocked: Type.Optional(Type.Boolean({ description: 'The user may not log in.' })),
    app_metadata: Type.Optional(Metadata({ description: 'Metadata the user cannot change.' })),
    user_metadata: Type.Optional(Metadata({ description: 'Metadata the user may change.' })),
    roles: Type.Optional(
      Type.Array(Name(), { description: 'Names of its roles (RBAC); when present, exactly these.' }),
    ),
    permissions: Type.Optional(
      Type.Array(Permission, { description: 'Direct permissions (RBAC); when present, exactly these.' }),
    ),
  },
  strict({ description: 'A user.' }),
);
export type User = Static<typeof User>;

/** Rules across an imported hash's fields, for a valid one. Paths are relative to it. */
export function customPasswordHashIssues(h: CustomPasswordHash): Issue[] {
  if (HASH_FORMAT[h.algorithm].test(h.hash.value)) return [];
  return [
    {
      path: ['hash', 'value'],
      message: `not a ${h.algorithm} hash (expected a $2b$… or $argon2id$… string)`,
    },
  ];
}

/** Rules across a user's fields, for a valid user. Paths are relative to the user. */
export function userIssues(u: User): Issue[] {
  const issues: Issue[] = [];
  if (u.password !== undefined && u.custom_password_hash !== undefined) {
    issues.push({ path: [], message: 'password and custom_password_hash are mutually exclusive' });
  }
  if (u.email === undefined && u.username === undefined)
    issues.push({ path: [], message: 'needs an email or a username' });
  return issues;
}
