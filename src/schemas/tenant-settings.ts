import { type Static, Type } from '@sinclair/typebox';
import { Email, HttpUrl, Name, NonEmpty, strict, Text } from './common.js';

/** The tenant's own settings (Auth0's tenant settings). */
export const TenantSettings = Type.Object(
  {
    friendly_name: Type.Optional(Text({ description: 'The name shown to users.' })),
    picture_url: Type.Optional(HttpUrl({ description: 'URL of the logo shown on pages.' })),
    support_email: Type.Optional(Email({ description: 'Where users can ask for help.' })),
    support_url: Type.Optional(HttpUrl({ description: 'A help page for users.' })),
    enabled_locales: Type.Optional(
      Type.Array(NonEmpty(), { description: 'Locales of pages and emails, the first the default.' }),
    ),
    issuer: Type.Optional(
      Type.String({
        format: 'issuer-url',
        description: 'The `iss` claim: an absolute http(s) URL without query or fragment.',
      }),
    ),
    default_directory: Type.Optional(Name({ description: 'The connection used by grant_type=password.' })),
    default_audience: Type.Optional(
      NonEmpty({ description: 'The API identifier used when a request names no audience.' }),
    ),
  },
  strict({ description: 'Tenant settings.' }),
);
export type TenantSettings = Static<typeof TenantSettings>;
