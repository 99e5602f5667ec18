import { type Static, Type } from '@sinclair/typebox';
import { Int, NonEmpty, StringEnum, strict, Text } from './common.js';

/** The algorithms tokens may be signed with. */
export const SIGNING_ALGS = ['RS256', 'PS256'] as const;
export const SigningAlg = (description: string) => StringEnum(SIGNING_ALGS, { description });

export const Scope = Type.Object(
  {
    value: NonEmpty({ description: 'The scope, e.g. `read:orders`.' }),
    description: Type.Optional(Text({ description: 'What the scope allows.' })),
  },
  strict({ description: 'A scope an API defines.' }),
);
export type Scope = Static<typeof Scope>;

/** An API (Auth0's resource server). */
export const ResourceServer = Type.Object(
  {
    name: Type.Optional(NonEmpty({ description: 'Display name.' })),
    identifier: NonEmpty({ maxLength: 1024, description: 'Unique identifier: the `aud` of its tokens.' }),
    scopes: Type.Optional(Type.Array(Scope, { description: 'The scopes it defines, unique by value.' })),
    signing_alg: Type.Optional(SigningAlg('Algorithm its access tokens are signed with.')),
    token_lifetime: Type.Optional(Int(1, 2592000, { description: 'Access token lifetime in seconds.' })),
    allow_offline_access: Type.Optional(
      Type.Boolean({ description: 'Refresh tokens may be issued for this API.' }),
    ),
    enforce_policies: Type.Optional(
      Type.Boolean({ description: "RBAC: scopes limited to the user's permissions." }),
    ),
    token_dialect: Type.Optional(
      StringEnum(['access_token', 'access_token_authz', 'rfc9068_profile', 'rfc9068_profile_authz'], {
        description: 'Shape of its access tokens.',
      }),
    ),
    skip_consent_for_verifiable_first_party_clients: Type.Optional(
      Type.Boolean({ description: 'First-party clients skip consent.' }),
    ),
  },
  strict({ description: 'An API (resource server).' }),
);
export type ResourceServer = Static<typeof ResourceServer>;
