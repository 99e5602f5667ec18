import { type Static, Type } from '@sinclair/typebox';
import { Enable, Int, Name, NonEmpty, StringEnum, StringMap, strict, Text } from './common.js';

/** Auth0's password strength levels. */
export const PASSWORD_POLICIES = ['none', 'low', 'fair', 'good', 'excellent'] as const;

export const ConnectionOptions = Type.Object(
  {
    brute_force_protection: Type.Optional(
      Type.Boolean({ description: 'Block an account after repeated failed logins.' }),
    ),
    password_policy: Type.Optional(
      StringEnum(PASSWORD_POLICIES, { description: 'Password strength level (Auth0 levels).' }),
    ),
    password_complexity_options: Type.Optional(
      Type.Object(
        { min_length: Type.Optional(Int(1, 128, { description: 'Shortest password accepted.' })) },
        strict({ description: 'Password length rules.' }),
      ),
    ),
    password_history: Type.Optional(
      Type.Object(
        {
          enable: Type.Optional(Type.Boolean({ description: 'Refuse reusing recent passwords.' })),
          size: Type.Optional(Int(1, 24, { description: 'How many past passwords are remembered.' })),
        },
        strict({ description: 'Refusing recently used passwords.' }),
      ),
    ),
    password_dictionary: Type.Optional(
      Type.Object(
        {
          enable: Type.Optional(Type.Boolean({ description: 'Refuse common passwords.' })),
          dictionary: Type.Optional(
            Type.Array(NonEmpty(), { description: 'Extra words refused as passwords.' }),
          ),
        },
        strict({ description: 'Refusing common passwords.' }),
      ),
    ),
    password_no_personal_info: Type.Optional(
      Enable({ description: "Refuse passwords containing the user's name or email." }),
    ),
    requires_username: Type.Optional(Type.Boolean({ description: 'Users must have a username.' })),
    validation: Type.Optional(
      Type.Object(
        {
          username: Type.Optional(
            Type.Object(
              {
                min: Type.Optional(Int(1, 128, { description: 'Shortest username.' })),
                max: Type.Optional(Int(1, 128, { description: 'Longest username.' })),
              },
              strict({ description: 'Username length.' }),
            ),
          ),
        },
        strict({ description: 'Rules for identifiers.' }),
      ),
    ),
    disable_signup: Type.Optional(Type.Boolean({ description: 'Refuse sign-ups to this directory.' })),
    revoke_refresh_tokens_on_password_change: Type.Optional(
      Type.Boolean({
        description: "A password reset revokes the user's refresh tokens (default true; false keeps them).",
      }),
    ),
  },
  strict({ description: 'Options of a database connection.' }),
);
export type ConnectionOptions = Static<typeof ConnectionOptions>;

/** A database connection (a directory of users). */
export const Connection = Type.Object(
  {
    name: Name({ description: 'Unique name, also usable as a realm.' }),
    display_name: Type.Optional(Text({ description: 'Name shown to users.' })),
    strategy: StringEnum(['auth0'], {
      description: 'Only "auth0": a database connection whose users live in Tessera.',
      errorMessage: 'unsupported strategy {value}: only "auth0" (database) is supported',
    }),
    realms: Type.Optional(Type.Array(Name(), { description: 'Extra realm aliases; the name always works.' })),
    enabled_clients: Type.Optional(
      Type.Array(Name(), { description: 'client_ids of the applications that may use it.' }),
    ),
    metadata: Type.Optional(StringMap({ description: 'Free string metadata.' })),
    options: Type.Optional(ConnectionOptions),
  },
  strict({ description: 'A database connection.' }),
);
export type Connection = Static<typeof Connection>;
