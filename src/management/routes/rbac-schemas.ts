import { type Static, Type } from '@sinclair/typebox';
import { Name, strict, Text } from '../../schemas/common.js';
import { Permission } from '../../schemas/role.js';

/** A role as the Management API shows it. */
export const RoleView = Type.Object(
  { id: Type.String(), name: Type.String(), description: Type.Optional(Type.String()) },
  { description: 'A role (RBAC).' },
);

/** A role's or a user's permission, with its API's name and the scope's description. */
export const PermissionView = Type.Object(
  {
    resource_server_identifier: Type.String(),
    permission_name: Type.String(),
    resource_server_name: Type.String(),
    description: Type.String(),
    sources: Type.Optional(
      Type.Array(
        Type.Object({
          source_id: Type.String(),
          source_name: Type.String(),
          source_type: Type.Union([Type.Literal('DIRECT'), Type.Literal('ROLE')]),
        }),
      ),
    ),
  },
  { description: 'A permission (an API scope).' },
);

/** `{permissions: […]}`: 1 to 100 permissions. */
export const PermissionsBody = Type.Object(
  { permissions: Type.Array(Permission, { minItems: 1, maxItems: 100 }) },
  strict({ description: 'Permissions.' }),
);
export type PermissionsBody = Static<typeof PermissionsBody>;

/** `{roles: [ids]}`: 1 to 100 role ids. */
export const RolesBody = Type.Object(
  { roles: Type.Array(Name(), { minItems: 1, maxItems: 100 }) },
  strict({ description: 'Role ids.' }),
);
export type RolesBody = Static<typeof RolesBody>;

/** `{users: [ids]}`: 1 to 100 user ids. */
export const UsersBody = Type.Object(
  { users: Type.Array(Name(), { minItems: 1, maxItems: 100 }) },
  strict({ description: 'User ids.' }),
);
export type UsersBody = Static<typeof UsersBody>;

export const CreateRoleBody = Type.Object(
  { name: Name({ description: 'Unique.' }), description: Type.Optional(Text({ maxLength: 140 })) },
  strict({ description: 'A new role.' }),
);
export type CreateRoleBody = Static<typeof CreateRoleBody>;

export const UpdateRoleBody = Type.Object(
  {
    name: Type.Optional(Name()),
    description: Type.Optional(Type.Union([Text({ maxLength: 140 }), Type.Null()])),
  },
  strict({ description: 'Changes to a role.' }),
);
export type UpdateRoleBody = Static<typeof UpdateRoleBody>;

/** A role as the Management API shows it: without its permissions. */
export function roleView(r: { id: string; name: string; description?: string | null }) {
  return { id: r.id, name: r.name, ...(r.description ? { description: r.description } : {}) };
}
