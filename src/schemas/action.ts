import { type Static, Type } from '@sinclair/typebox';
import { Name, NonEmpty, StringEnum, StringMap, strict } from './common.js';
import { Order } from './rule.js';

/** An action: JavaScript run at a trigger (Auth0's actions). */
export const Action = Type.Object(
  {
    name: Name({ description: 'Unique name.' }),
    trigger: StringEnum(['post-login'], {
      description: 'When it runs; only "post-login".',
      errorMessage: 'unsupported trigger {value}: only "post-login" is supported',
    }),
    enabled: Type.Optional(Type.Boolean({ description: 'Whether it runs.' })),
    order: Type.Optional(Order()),
    secrets: Type.Optional(StringMap({ description: 'Secrets it reads as `event.secrets.NAME`.' })),
    code: NonEmpty({ description: 'The module exporting `onExecutePostLogin`, as JavaScript.' }),
  },
  strict({ description: 'An action.' }),
);
export type Action = Static<typeof Action>;
