import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  assignUserPermissions,
  assignUserRoles,
  managedUserPermissions,
  managedUserRoles,
  removeUserPermissions,
  unassignUserRoles,
} from '../../identity/manage-user-roles.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { PagedResponse, PagingQuery, pageArray, pageOf } from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';
import { PermissionsBody, PermissionView, RolesBody, RoleView, roleView } from './rbac-schemas.js';

const ERRORS = { 404: ErrorBody, ...AUTH_ERRORS };
const tags = ['users'];

/** A user's roles and direct permissions (spec section 12). */
export async function userRolesRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  const store = rt.store;

  app.get<{ Params: IdParams; Querystring: PagingQuery }>(
    '/users/:id/roles',
    {
      onRequest: requireScope('read:users', 'read:roles'),
      schema: {
        tags,
        summary: "A user's roles",
        params: IdParams,
        querystring: PagingQuery,
        response: { 200: PagedResponse('roles', RoleView), ...ERRORS },
      },
    },
    async (request) =>
      pageArray(
        'roles',
        (await managedUserRoles(store, request.params.id)).map(roleView),
        pageOf(request.query),
      ),
  );

  for (const add of [true, false]) {
    app.route<{ Params: IdParams; Body: RolesBody }>({
      method: add ? 'POST' : 'DELETE',
      url: '/users/:id/roles',
      onRequest: requireScope('update:users'),
      schema: {
        tags,
        summary: add ? 'Give a user roles' : 'Take roles from a user',
        params: IdParams,
        body: RolesBody,
        response: { 204: Type.Null(), ...ERRORS },
      },
      handler: async (request, reply) => {
        const userId = request.params.id;
        const { roles } = request.body;
        const facts = {
          description: add ? 'Assign roles to a User' : 'Remove roles from a User',
          userId,
          details: { roles },
        };
        await audited(request, facts, () =>
          (add ? assignUserRoles : unassignUserRoles)(store, userId, roles),
        );
        return reply.code(204).send();
      },
    });
  }

  app.get<{ Params: IdParams; Querystring: PagingQuery }>(
    '/users/:id/permissions',
    {
      onRequest: requireScope('read:users'),
      schema: {
        tags,
        summary: "A user's permissions (direct and through roles)",
        params: IdParams,
        querystring: PagingQuery,
        response: { 200: PagedResponse('permissions', PermissionView), ...ERRORS },
      },
    },
    async (request) =>
      pageArray('permissions', await managedUserPermissions(store, request.params.id), pageOf(request.query)),
  );

  for (const add of [true, false]) {
    app.route<{ Params: IdParams; Body: PermissionsBody }>({
      method: add ? 'POST' : 'DELETE',
      url: '/users/:id/permissions',
      onRequest: requireScope('update:users'),
      schema: {
        tags,
        summary: add ? 'Give a user direct permissions' : 'Take direct permissions from a user',
        params: IdParams,
        body: PermissionsBody,
        response: { [add ? 201 : 204]: Type.Null(), ...ERRORS },
      },
      handler: async (request, reply) => {
        const userId = request.params.id;
        const { permissions } = request.body;
        const facts = {
          description: add ? 'Assign permissions to a User' : 'Remove permissions from a User',
          userId,
          details: { permissions },
        };
        await audited(request, facts, () =>
          (add ? assignUserPermissions : removeUserPermissions)(store, userId, permissions),
        );
        return reply.code(add ? 201 : 204).send();
      },
    });
  }
}
