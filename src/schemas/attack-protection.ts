import { type Static, Type } from '@sinclair/typebox';
import { Int, IpOrCidr, StringEnum, strict } from './common.js';

const Enabled = () => Type.Optional(Type.Boolean({ description: 'Whether it is on.' }));
const Allowlist = () =>
  Type.Optional(Type.Array(IpOrCidr(), { description: 'Addresses and ranges never blocked.' }));
const StageLimit = (description: string) =>
  Type.Object(
    {
      max_attempts: Int(1, 1000000, { description: 'Attempts allowed at once.' }),
      rate: Int(1, 2147483647, { description: 'Milliseconds for one attempt to be given back.' }),
    },
    strict({ description }),
  );

export const BruteForceProtection = Type.Object(
  {
    enabled: Enabled(),
    mode: Type.Optional(
      StringEnum(['count_per_identifier_and_ip', 'count_per_identifier'], {
        description: 'What failed logins are counted by.',
      }),
    ),
    max_attempts: Type.Optional(Int(1, 100, { description: 'Failed logins before blocking.' })),
    shields: Type.Optional(
      Type.Array(StringEnum(['block', 'user_notification']), { description: 'What happens then.' }),
    ),
    allowlist: Allowlist(),
  },
  strict({ description: 'Blocking an account after repeated failed logins.' }),
);

export const SuspiciousIpThrottling = Type.Object(
  {
    enabled: Enabled(),
    shields: Type.Optional(
      Type.Array(StringEnum(['block', 'admin_notification']), { description: 'What happens then.' }),
    ),
    allowlist: Allowlist(),
    stage: Type.Optional(
      Type.Object(
        {
          'pre-login': Type.Optional(StageLimit('Limit on login attempts from one address.')),
          'pre-user-registration': Type.Optional(StageLimit('Limit on sign-ups from one address.')),
        },
        strict({ description: 'Limits per stage.' }),
      ),
    ),
  },
  strict({ description: 'Throttling addresses that try many accounts.' }),
);

export const BreachedPasswordDetection = Type.Object(
  {
    enabled: Enabled(),
    shields: Type.Optional(
      Type.Array(StringEnum(['block', 'user_notification', 'admin_notification']), {
        description: 'What happens when a breached password is used.',
      }),
    ),
  },
  strict({ description: 'Detecting passwords known from breaches.' }),
);

/** Attack protection settings (Auth0's names). */
export const AttackProtection = Type.Object(
  {
    bruteForceProtection: Type.Optional(BruteForceProtection),
    suspiciousIpThrottling: Type.Optional(SuspiciousIpThrottling),
    breachedPasswordDetection: Type.Optional(BreachedPasswordDetection),
    ipv6PrefixLength: Type.Optional(
      Int(1, 128, {
        description:
          'IPv6 addresses are counted, throttled and blocked per network of this prefix length (default 64: one /64 is one address).',
      }),
    ),
  },
  strict({ description: 'Attack protection.' }),
);
export type AttackProtection = Static<typeof AttackProtection>;
