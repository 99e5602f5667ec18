import { type Static, Type } from '@sinclair/typebox';
import { Int, Name, NonEmpty, strict, Text } from './common.js';

/** Position among rules or actions: lower runs first. */
export const Order = () => Int(0, 1000000, { description: 'Position: lower runs first.' });

/** A rule: JavaScript run after a successful login (Auth0's rules). */
export const Rule = Type.Object(
  {
    name: Name({ description: 'Unique name.' }),
    enabled: Type.Optional(Type.Boolean({ description: 'Whether it runs.' })),
    order: Type.Optional(Order()),
    script: NonEmpty({ description: 'The function `(user, context, callback)`, as JavaScript.' }),
  },
  strict({ description: 'A rule.' }),
);
export type Rule = Static<typeof Rule>;

/** A rules config: a key-value secret rules read as `configuration.KEY`. */
export const RulesConfig = Type.Object(
  {
    key: Type.String({
      minLength: 1,
      maxLength: 127,
      pattern: '^[A-Za-z0-9_\\-@*+:]+$',
      errorMessage: 'may only contain letters, digits and _-@*+:',
      description: 'The name rules read it by.',
    }),
    value: Text({ description: 'The value.' }),
  },
  strict({ description: 'A rules config (a value rules can read).' }),
);
export type RulesConfig = Static<typeof RulesConfig>;
