import multipart from '@fastify/multipart';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { managementErrors } from '../../errors/index.js';
import { type ImportJobInput, MAX_IMPORT_FILE_BYTES, startImportJob } from '../../identity/import-job.js';
import { getJob, type Job, verificationEmailJob } from '../../identity/jobs.js';
import { strict } from '../../schemas/common.js';
import { audited } from '../audit.js';
import { callerOf, requireAlso, requireScope } from '../auth.js';
import { AUTH_ERRORS, ErrorBody } from '../schemas.js';
import { answer } from '../wire.js';

const JobView = Type.Object(
  {
    id: Type.String(),
    type: Type.String({ description: 'verification_email or users_import.' }),
    status: Type.String({ description: 'pending, processing, completed or failed.' }),
    created_at: Type.String(),
    connection_id: Type.Optional(Type.String()),
    connection: Type.Optional(Type.String()),
    upsert: Type.Optional(Type.Boolean()),
    external_id: Type.Optional(Type.String()),
    summary: Type.Optional(
      Type.Object({
        failed: Type.Integer(),
        updated: Type.Integer(),
        inserted: Type.Integer(),
        total: Type.Integer(),
      }),
    ),
  },
  { description: 'A job.' },
);

const JobErrors = Type.Array(
  Type.Object({
    user: Type.Record(Type.String(), Type.Unknown()),
    errors: Type.Array(
      Type.Object({ code: Type.String(), message: Type.String(), path: Type.Optional(Type.String()) }),
    ),
  }),
  { description: 'The users an import refused (without password hashes), and why.' },
);

const VerificationJobBody = Type.Object(
  {
    user_id: Type.String({ minLength: 1, maxLength: 255 }),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    identity: Type.Optional(Type.Object({ user_id: Type.String(), provider: Type.String() })),
    organization_id: Type.Optional(Type.String({ maxLength: 64 })),
  },
  strict({ description: 'The user to send the verification email to.' }),
);

const JobParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
type JobParams = Static<typeof JobParams>;

function jobView(job: Job) {
  const payload = job.payload ? (JSON.parse(job.payload) as Record<string, unknown>) : {};
  const view: Record<string, unknown> = {
    type: job.type,
    status: job.status,
    created_at: new Date(job.created_at).toISOString(),
    id: job.id,
  };
  if (job.type === 'users_import') {
    view.connection_id = job.connection_id;
    view.connection = job.connection;
    view.upsert = payload.upsert === true;
    if (typeof payload.external_id === 'string') view.external_id = payload.external_id;
    if (job.summary) view.summary = JSON.parse(job.summary);
  }
  return view;
}

const FORM_FIELDS = new Set(['connection_id', 'upsert', 'external_id', 'send_completion_email']);
const bool = (v: string | undefined) => v === 'true';

/** Reads the import form; a refusal is an answer in the management shape (400, 413). */
async function readImportForm(
  request: FastifyRequest,
): Promise<{ ok: true; input: ImportJobInput } | { ok: false; status: number; message: string }> {
  if (!request.isMultipart())
    return { ok: false, status: 400, message: 'The body must be multipart/form-data with a users file' };
  const fields: Record<string, string> = {};
  let file: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'users' || file)
          return {
            ok: false,
            status: 400,
            message: `Payload validation error: unexpected file "${part.fieldname.slice(0, 40)}"`,
          };
        file = await part.toBuffer();
      } else if (FORM_FIELDS.has(part.fieldname)) {
        const value = String(part.value);
        if (value.length > 255 || value.includes('\u0000'))
          return {
            ok: false,
            status: 400,
            message: `Payload validation error: ${part.fieldname}: must be text of at most 255 characters`,
          };
        fields[part.fieldname] = value;
      } else {
        return {
          ok: false,
          status: 400,
          message: `Payload validation error: unknown field "${part.fieldname.slice(0, 40)}"`,
        };
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE')
      return {
        ok: false,
        status: 413,
        message: `The users file is larger than ${MAX_IMPORT_FILE_BYTES / 1024} KB`,
      };
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT')
      return { ok: false, status: 413, message: 'The form has too many parts' };
    return { ok: false, status: 400, message: 'The multipart body could not be read' };
  }
  if (!file)
    return { ok: false, status: 400, message: 'Payload validation error: users: a file is required' };
  const connectionId = fields.connection_id;
  if (!connectionId)
    return { ok: false, status: 400, message: 'Payload validation error: connection_id: is required' };
  for (const k of ['upsert', 'send_completion_email'])
    if (fields[k] !== undefined && fields[k] !== 'true' && fields[k] !== 'false')
      return { ok: false, status: 400, message: `Payload validation error: ${k}: must be true or false` };
  return {
    ok: true,
    input: {
      connectionId,
      file,
      upsert: bool(fields.upsert),
      externalId: fields.external_id,
      sendCompletionEmail: bool(fields.send_completion_email),
    },
  };
}

function refuse(reply: FastifyReply, status: number, message: string) {
  const a = answer(status, message, status === 413 ? 'payload_too_large' : 'invalid_body');
  return reply.code(status).send(a.body);
}

/**
 * Jobs (spec section 11): the verification email, user imports from Auth0's
 * bulk format (multipart, run in the background), their state and errors.
 * `@fastify/multipart` is registered here only (the one multipart route).
 */
export async function jobsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  await app.register(multipart, {
    limits: {
      fileSize: MAX_IMPORT_FILE_BYTES,
      files: 1,
      fields: 8,
      fieldSize: 1024,
      parts: 10,
      headerPairs: 50,
    },
  });

  app.post<{ Body: Static<typeof VerificationJobBody> }>(
    '/jobs/verification-email',
    {
      onRequest: requireScope('update:users'),
      schema: {
        tags: ['jobs'],
        summary: 'Send a verification email',
        body: VerificationJobBody,
        response: { 201: JobView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { user_id: userId, client_id: clientId } = request.body;
      const job = await audited(request, { description: 'Send a verification email', userId }, () =>
        verificationEmailJob(rt, { userId, clientId }),
      );
      return reply.code(201).send(jobView(job));
    },
  );

  app.post(
    '/jobs/users-imports',
    {
      onRequest: requireScope('create:users'),
      schema: {
        tags: ['jobs'],
        summary: 'Import users (multipart: users file, connection_id)',
        consumes: ['multipart/form-data'],
        response: { 202: JobView, 413: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const form = await readImportForm(request);
      if (!form.ok) return refuse(reply, form.status, form.message);
      const caller = callerOf(request);
      // An upsert changes existing users (their passwords too): it needs what PATCH /users needs.
      if (form.input.upsert) await requireAlso(app.management, request, 'update:users');
      const input = { ...form.input, clientId: caller.clientId };
      const job = await audited(
        request,
        {
          description: 'Import users',
          details: {
            connection_id: input.connectionId,
            bytes: input.file.length,
            upsert: input.upsert === true,
          },
        },
        () => startImportJob(rt, input),
      );
      return reply.code(202).send(jobView(job));
    },
  );

  const readJob = async (id: string) => {
    const job = await getJob(rt, id);
    if (!job) throw managementErrors.notFound('The job does not exist.', 'inexistent_job');
    return job;
  };

  app.get<{ Params: JobParams }>(
    '/jobs/:id',
    {
      onRequest: requireScope('read:users', 'create:users'),
      schema: {
        tags: ['jobs'],
        summary: 'Get a job',
        params: JobParams,
        response: { 200: JobView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => jobView(await readJob(request.params.id)),
  );

  app.get<{ Params: JobParams }>(
    '/jobs/:id/errors',
    {
      onRequest: requireScope('read:users', 'create:users'),
      schema: {
        tags: ['jobs'],
        summary: "Get an import job's errors",
        params: JobParams,
        response: { 200: JobErrors, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const job = await readJob(request.params.id);
      return job.errors ? JSON.parse(job.errors) : [];
    },
  );
}
