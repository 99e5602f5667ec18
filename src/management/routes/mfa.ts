import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  deleteAllAuthenticators,
  deleteEnrollment,
  FACTOR_NAMES,
  guardianFactors,
  guardianPolicies,
  invalidateRememberBrowser,
  setGuardianFactor,
  setGuardianPolicies,
  userAuthenticationMethods,
  userEnrollments,
} from '../../mfa/admin.js';
import { StringEnum, strict } from '../../schemas/common.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { PagedResponse, PagingQuery, pageArray, pageOf } from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';

const ERRORS = { 404: ErrorBody, ...AUTH_ERRORS };
const Loose = Type.Object({}, { additionalProperties: true });

const FactorParams = Type.Object({ name: StringEnum([...FACTOR_NAMES]) }, { additionalProperties: false });
const FactorBody = Type.Object({ enabled: Type.Boolean() }, strict({ description: 'Enable or disable.' }));
const Factor = Type.Object({ name: Type.String(), enabled: Type.Boolean(), trial_expired: Type.Boolean() });
const PoliciesBody = Type.Array(Type.String({ maxLength: 64 }), {
  maxItems: 10,
  description: '[] (MFA only when a rule or action asks) or ["all-applications"].',
});

/** A user's MFA factors and the tenant's Guardian settings (spec sections 8 and 11). */
export async function mfaRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  const store = rt.store;

  app.get<{ Params: IdParams }>(
    '/users/:id/enrollments',
    {
      onRequest: requireScope('read:users'),
      schema: {
        tags: ['users'],
        summary: "A user's Guardian enrollments",
        params: IdParams,
        response: { 200: Type.Array(Loose), ...ERRORS },
      },
    },
    async (request) => userEnrollments(store, request.params.id),
  );

  app.get<{ Params: IdParams; Querystring: PagingQuery }>(
    '/users/:id/authentication-methods',
    {
      onRequest: requireScope('read:authentication_methods'),
      schema: {
        tags: ['users'],
        summary: "A user's authentication methods",
        params: IdParams,
        querystring: PagingQuery,
        response: { 200: PagedResponse('authenticators', Loose), ...ERRORS },
      },
    },
    async (request) =>
      pageArray(
        'authenticators',
        await userAuthenticationMethods(store, request.params.id),
        pageOf(request.query),
      ),
  );

  app.delete<{ Params: IdParams }>(
    '/users/:id/authenticators',
    {
      onRequest: requireScope('delete:guardian_enrollments'),
      schema: {
        tags: ['users'],
        summary: 'Remove every MFA factor of a user (they enroll again)',
        params: IdParams,
        response: { 204: Type.Null(), ...ERRORS },
      },
    },
    async (request, reply) => {
      const userId = request.params.id;
      await audited(request, { description: 'Delete all authenticators of a User', userId }, () =>
        deleteAllAuthenticators(store, userId),
      );
      return reply.code(204).send();
    },
  );

  app.post<{ Params: IdParams }>(
    '/users/:id/multifactor/actions/invalidate-remember-browser',
    {
      onRequest: requireScope('update:users'),
      schema: {
        tags: ['users'],
        summary: 'Forget remembered browsers (Tessera remembers none: a no-op for an existing user)',
        params: IdParams,
        response: { 204: Type.Null(), ...ERRORS },
      },
    },
    async (request, reply) => {
      const userId = request.params.id;
      await audited(request, { description: 'Invalidate remember browser for a User', userId }, () =>
        invalidateRememberBrowser(store, userId),
      );
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: IdParams }>(
    '/guardian/enrollments/:id',
    {
      onRequest: requireScope('delete:guardian_enrollments'),
      schema: {
        tags: ['guardian'],
        summary: 'Delete an enrollment',
        params: IdParams,
        response: { 204: Type.Null(), ...ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const facts = { description: 'Delete a Guardian enrollment', details: { enrollment_id: id } };
      await audited(request, facts, () => deleteEnrollment(store, id));
      return reply.code(204).send();
    },
  );

  app.get(
    '/guardian/factors',
    {
      onRequest: requireScope('read:guardian_factors'),
      schema: {
        tags: ['guardian'],
        summary: 'The MFA factors and whether each is enabled',
        response: { 200: Type.Array(Factor), ...AUTH_ERRORS },
      },
    },
    async () => guardianFactors(store),
  );

  app.put<{ Params: Static<typeof FactorParams>; Body: Static<typeof FactorBody> }>(
    '/guardian/factors/:name',
    {
      onRequest: requireScope('update:guardian_factors'),
      schema: {
        tags: ['guardian'],
        summary: 'Enable or disable a factor (push-notification cannot be enabled)',
        params: FactorParams,
        body: FactorBody,
        response: { 200: FactorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { enabled } = request.body;
      const facts = { description: 'Update a Guardian factor', details: { name, enabled } };
      return audited(request, facts, () => setGuardianFactor(store, name, enabled));
    },
  );

  app.get(
    '/guardian/policies',
    {
      onRequest: requireScope('read:mfa_policies'),
      schema: {
        tags: ['guardian'],
        summary: 'When MFA is required',
        response: { 200: Type.Array(Type.String()), ...AUTH_ERRORS },
      },
    },
    async () => guardianPolicies(store),
  );

  app.put<{ Body: Static<typeof PoliciesBody> }>(
    '/guardian/policies',
    {
      onRequest: requireScope('update:mfa_policies'),
      schema: {
        tags: ['guardian'],
        summary: 'Set when MFA is required',
        body: PoliciesBody,
        response: { 200: Type.Array(Type.String()), ...AUTH_ERRORS },
      },
    },
    async (request) =>
      audited(request, { description: 'Update the MFA policies', details: { policies: request.body } }, () =>
        setGuardianPolicies(store, request.body),
      ),
  );
}
