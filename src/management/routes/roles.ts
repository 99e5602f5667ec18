import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  addRolePermissions,
  assignRoleUsers,
  createManagedRole,
  deleteManagedRole,
  getManagedRole,
  listManagedRoles,
  managedRoleUsers,
  permissionViews,
  removeRolePermissions,
  updateManagedRole,
} from '../../identity/manage-roles.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { PagedResponse, PagingFields, PagingQuery, pageArray, pageOf, pagedAnswer } from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';
import {
  CreateRoleBody,
  PermissionsBody,
  PermissionView,
  RoleView,
  roleView,
  UpdateRoleBody,
  UsersBody,
} from './rbac-schemas.js';

const RolesQuery = Type.Object(
  { ...PagingFields, name_filter: Type.Optional(Type.String({ maxLength: 255 })) },
  { additionalProperties: false },
);

const RoleUser = Type.Object({
  user_id: Type.String(),
  email: Type.Optional(Type.String()),
  picture: Type.Optional(Type.String()),
  name: Type.String(),
});

const ERRORS = { 404: ErrorBody, ...AUTH_ERRORS };
const tags = ['roles'];

/** Roles (spec section 12): CRUD, their permissions, their users. */
export async function rolesRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  const store = rt.store;

  app.get<{ Querystring: { name_filter?: string } & PagingQuery }>(
    '/roles',
    {
      onRequest: requireScope('read:roles'),
      schema: {
        tags,
        summary: 'List roles',
        querystring: RolesQuery,
        response: { 200: PagedResponse('roles', RoleView), ...AUTH_ERRORS },
      },
    },
    async (request) =>
      pageArray(
        'roles',
        (await listManagedRoles(store, request.query.name_filter)).map(roleView),
        pageOf(request.query),
      ),
  );

  app.post<{ Body: CreateRoleBody }>(
    '/roles',
    {
      onRequest: requireScope('create:roles'),
      schema: {
        tags,
        summary: 'Create a role',
        body: CreateRoleBody,
        response: { 200: RoleView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const role = await audited(
        request,
        { description: 'Create a Role', details: { name: request.body.name } },
        () => createManagedRole(store, request.body, rt.now()),
      );
      return roleView(role);
    },
  );

  app.get<{ Params: IdParams }>(
    '/roles/:id',
    {
      onRequest: requireScope('read:roles'),
      schema: { tags, summary: 'Get a role', params: IdParams, response: { 200: RoleView, ...ERRORS } },
    },
    async (request) => roleView(await getManagedRole(store, request.params.id)),
  );

  app.patch<{ Params: IdParams; Body: UpdateRoleBody }>(
    '/roles/:id',
    {
      onRequest: requireScope('update:roles'),
      schema: {
        tags,
        summary: 'Update a role',
        params: IdParams,
        body: UpdateRoleBody,
        response: { 200: RoleView, 409: ErrorBody, ...ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const role = await audited(request, { description: 'Update a Role', details: { role_id: id } }, () =>
        updateManagedRole(store, id, request.body, rt.now()),
      );
      return roleView(role);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/roles/:id',
    {
      onRequest: requireScope('delete:roles'),
      schema: { tags, summary: 'Delete a role', params: IdParams, response: { 200: Type.Null(), ...ERRORS } },
    },
    async (request, reply) => {
      const { id } = request.params;
      await audited(request, { description: 'Delete a Role', details: { role_id: id } }, () =>
        deleteManagedRole(store, id),
      );
      return reply.code(200).send();
    },
  );

  app.get<{ Params: IdParams; Querystring: PagingQuery }>(
    '/roles/:id/permissions',
    {
      onRequest: requireScope('read:roles'),
      schema: {
        tags,
        summary: "A role's permissions",
        params: IdParams,
        querystring: PagingQuery,
        response: { 200: PagedResponse('permissions', PermissionView), ...ERRORS },
      },
    },
    async (request) => {
      const role = await getManagedRole(store, request.params.id);
      return pageArray('permissions', await permissionViews(store, role.permissions), pageOf(request.query));
    },
  );

  for (const add of [true, false]) {
    app.route<{ Params: IdParams; Body: PermissionsBody }>({
      method: add ? 'POST' : 'DELETE',
      url: '/roles/:id/permissions',
      onRequest: requireScope('update:roles'),
      schema: {
        tags,
        summary: add ? 'Give a role permissions' : 'Take permissions from a role',
        params: IdParams,
        body: PermissionsBody,
        response: { [add ? 201 : 204]: Type.Null(), ...ERRORS },
      },
      handler: async (request, reply) => {
        const { id } = request.params;
        const { permissions } = request.body;
        const facts = {
          description: add ? 'Add permissions to a Role' : 'Remove permissions from a Role',
          details: { role_id: id, permissions },
        };
        await audited(request, facts, () =>
          (add ? addRolePermissions : removeRolePermissions)(store, id, permissions, rt.now()),
        );
        return reply.code(add ? 201 : 204).send();
      },
    });
  }

  app.get<{ Params: IdParams; Querystring: PagingQuery }>(
    '/roles/:id/users',
    {
      onRequest: requireScope('read:roles', 'read:role_members'),
      schema: {
        tags,
        summary: "A role's users",
        params: IdParams,
        querystring: PagingQuery,
        response: { 200: PagedResponse('users', RoleUser), ...ERRORS },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const { users, total } = await managedRoleUsers(store, request.params.id, page);
      return pagedAnswer('users', users, total, page);
    },
  );

  app.post<{ Params: IdParams; Body: UsersBody }>(
    '/roles/:id/users',
    {
      onRequest: requireScope('create:role_members', 'update:roles'),
      schema: {
        tags,
        summary: 'Give users a role',
        params: IdParams,
        body: UsersBody,
        response: { 201: Type.Null(), ...ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { users } = request.body;
      await audited(request, { description: 'Assign users to a Role', details: { role_id: id, users } }, () =>
        assignRoleUsers(store, id, users),
      );
      return reply.code(201).send();
    },
  );
}
