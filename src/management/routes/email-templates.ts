import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { strict } from '../../schemas/common.js';
import { getEmailTemplateObject, putEmailTemplateObject } from '../../tenant/objects/settings.js';
import { managementErrors } from '../../errors/index.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { AUTH_ERRORS, ErrorBody } from '../schemas.js';

const str = (maxLength: number, description: string) =>
  Type.Optional(Type.String({ maxLength, description }));
/** Auth0's template fields and Tessera's `text`; Liquid and values are checked as the tenant file's are. */
const templateFields = {
  template: str(64, 'The template name (verify_email, reset_email, …).'),
  body: str(100_000, 'HTML, Liquid.'),
  text: str(100_000, 'Plain text, Liquid (Tessera).'),
  from: str(320, 'The sender.'),
  subject: str(1000, 'Liquid.'),
  syntax: str(16, 'Only "liquid".'),
  resultUrl: str(2048, 'Where the link leads after it worked.'),
  urlLifetimeInSeconds: Type.Optional(Type.Integer({ description: 'How long the link works.' })),
  enabled: Type.Optional(Type.Boolean()),
};
const TemplateBody = Type.Object(templateFields, strict({ description: 'An email template.' }));
type TemplateBody = Static<typeof TemplateBody>;
const CreateBody = Type.Object(
  { ...templateFields, template: Type.String({ minLength: 1, maxLength: 64 }) },
  strict({ description: 'A new email template.' }),
);
const NameParams = Type.Object(
  { templateName: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
type NameParams = Static<typeof NameParams>;
const View = Type.Object({ template: Type.String() }, { additionalProperties: true });
const tags = ['email-templates'];

function fieldsOf(body: TemplateBody, name: string): Record<string, unknown> {
  const { template, ...fields } = body;
  if (template !== undefined && template !== name)
    throw managementErrors.invalidBody(
      `Payload validation error: template: must be "${name}", the path's template`,
    );
  return fields;
}

/** Email templates: the tenant file's `emailTemplates`, by Auth0's names. */
export async function emailTemplatesRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  const write = (
    request: Parameters<typeof audited>[0],
    name: string,
    fields: Record<string, unknown>,
    mode: 'create' | 'replace' | 'patch',
  ) =>
    audited(
      request,
      {
        description: mode === 'create' ? 'Create an Email Template' : 'Update an Email Template',
        details: { template: name, mode },
      },
      () => putEmailTemplateObject(rt.store, name, fields, mode, rt.now()),
    );

  app.get<{ Params: NameParams }>(
    '/email-templates/:templateName',
    {
      onRequest: requireScope('read:email_templates'),
      schema: {
        tags,
        summary: 'Get an email template',
        params: NameParams,
        response: { 200: View, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => getEmailTemplateObject(rt.store, request.params.templateName),
  );

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/email-templates',
    {
      onRequest: requireScope('create:email_templates'),
      schema: {
        tags,
        summary: 'Create an email template',
        body: CreateBody,
        response: { 200: View, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) =>
      write(request, request.body.template, fieldsOf(request.body, request.body.template), 'create'),
  );

  for (const [method, mode] of [
    ['put', 'replace'],
    ['patch', 'patch'],
  ] as const) {
    app[method]<{ Params: NameParams; Body: TemplateBody }>(
      '/email-templates/:templateName',
      {
        onRequest: requireScope('update:email_templates'),
        schema: {
          tags,
          summary: mode === 'patch' ? 'Change an email template' : 'Set an email template whole',
          params: NameParams,
          body: TemplateBody,
          response: { 200: View, 404: ErrorBody, ...AUTH_ERRORS },
        },
      },
      async (request) => {
        const name = request.params.templateName;
        return write(request, name, fieldsOf(request.body, name), mode);
      },
    );
  }
}
