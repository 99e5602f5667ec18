import { type Static, Type } from '@sinclair/typebox';
import { StringEnum, strict } from './common.js';

/** Multi-factor authentication settings (Auth0's Guardian). */
export const Guardian = Type.Object(
  {
    policies: Type.Optional(
      Type.Array(StringEnum(['all-applications']), {
        description: 'When MFA is required; empty: only when a rule asks.',
      }),
    ),
    factors: Type.Optional(
      Type.Object(
        {
          otp: Type.Optional(Type.Boolean({ description: 'Authenticator apps (TOTP).' })),
          sms: Type.Optional(Type.Boolean({ description: 'Codes by SMS.' })),
          email: Type.Optional(Type.Boolean({ description: 'Codes by email.' })),
          'recovery-code': Type.Optional(Type.Boolean({ description: 'Recovery codes.' })),
        },
        strict({ description: 'The factors users may enroll.' }),
      ),
    ),
  },
  strict({ description: 'Multi-factor authentication.' }),
);
export type Guardian = Static<typeof Guardian>;
