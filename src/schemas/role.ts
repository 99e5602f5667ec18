import { type Static, Type } from '@sinclair/typebox';
import { Name, NonEmpty, strict, Text } from './common.js';

/** A permission: one scope of one API (Management API v2 names). */
export const Permission = Type.Object(
  {
    resource_server_identifier: NonEmpty({ maxLength: 1024, description: 'The identifier of the API.' }),
    permission_name: NonEmpty({ maxLength: 280, description: 'A scope value the API defines.' }),
  },
  strict({ description: 'A permission (an API scope).' }),
);
export type Permission = Static<typeof Permission>;

/** An RBAC role: a named set of permissions users are given. */
export const Role = Type.Object(
  {
    name: Name({ description: 'Unique name, e.g. `order-admin`.' }),
    description: Type.Optional(Text({ description: 'What the role is for.' })),
    permissions: Type.Optional(Type.Array(Permission, { description: 'What the role grants.' })),
  },
  strict({ description: 'A role (RBAC).' }),
);
export type Role = Static<typeof Role>;
