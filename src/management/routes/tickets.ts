import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { createTicket } from '../../identity/admin-tickets.js';
import { Email, HttpUrl, Int, strict } from '../../schemas/common.js';
import { audited } from '../audit.js';
import { callerOf, requireScope } from '../auth.js';
import { AUTH_ERRORS, ErrorBody } from '../schemas.js';

const MAX_TTL_S = 30 * 24 * 3600;
const UserId = Type.String({ minLength: 1, maxLength: 255 });
const TtlS = Int(0, MAX_TTL_S, {
  description: "Lifetime in seconds; 0: the email template's (default 432000).",
});

const PasswordChangeBody = Type.Object(
  {
    user_id: Type.Optional(UserId),
    email: Type.Optional(Email()),
    connection_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    result_url: Type.Optional(HttpUrl({ maxLength: 2048 })),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    organization_id: Type.Optional(Type.String({ maxLength: 64 })),
    ttl_sec: Type.Optional(TtlS),
    mark_email_as_verified: Type.Optional(Type.Boolean()),
    includeEmailInRedirect: Type.Optional(Type.Boolean()),
  },
  strict({ description: 'Who the link is for (user_id, or email and connection_id), and where it leads.' }),
);

const VerificationBody = Type.Object(
  {
    user_id: UserId,
    result_url: Type.Optional(HttpUrl({ maxLength: 2048 })),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    organization_id: Type.Optional(Type.String({ maxLength: 64 })),
    ttl_sec: Type.Optional(TtlS),
    includeEmailInRedirect: Type.Optional(Type.Boolean()),
    identity: Type.Optional(Type.Object({ user_id: Type.String(), provider: Type.String() })),
  },
  strict({ description: 'The user whose address the link verifies.' }),
);

const TicketAnswer = Type.Object({ ticket: Type.String({ description: 'The single-use URL.' }) });

/**
 * Tickets (spec sections 10, 11): single-use links to the pages the emails
 * link to, for an administrator to hand over — `<issuer>lo/reset?ticket=…`
 * and `<issuer>lo/verify_email?ticket=…`.
 */
export async function ticketsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.post<{ Body: Static<typeof PasswordChangeBody> }>(
    '/tickets/password-change',
    {
      onRequest: requireScope('create:user_tickets'),
      schema: {
        tags: ['tickets'],
        summary: 'Create a password-change ticket',
        body: PasswordChangeBody,
        response: { 201: TicketAnswer, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const ticket = await audited(
        request,
        { description: 'Create a password change ticket', userId: b.user_id ?? null },
        () =>
          createTicket(rt, 'reset', {
            userId: b.user_id,
            email: b.email,
            connectionId: b.connection_id,
            resultUrl: b.result_url,
            ttlS: b.ttl_sec,
            markEmailVerified: b.mark_email_as_verified,
            includeEmailInRedirect: b.includeEmailInRedirect,
            clientId: b.client_id ?? callerOf(request).clientId,
          }),
      );
      return reply.code(201).send({ ticket });
    },
  );

  app.post<{ Body: Static<typeof VerificationBody> }>(
    '/tickets/email-verification',
    {
      onRequest: requireScope('create:user_tickets'),
      schema: {
        tags: ['tickets'],
        summary: 'Create an email-verification ticket',
        body: VerificationBody,
        response: { 201: TicketAnswer, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const ticket = await audited(
        request,
        { description: 'Create an email verification ticket', userId: b.user_id },
        () =>
          createTicket(rt, 'verify', {
            userId: b.user_id,
            resultUrl: b.result_url,
            ttlS: b.ttl_sec,
            includeEmailInRedirect: b.includeEmailInRedirect,
            clientId: b.client_id ?? callerOf(request).clientId,
          }),
      );
      return reply.code(201).send({ ticket });
    },
  );
}
