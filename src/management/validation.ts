import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { managementErrors } from '../errors/index.js';
import { Repeated } from '../oauth/params.js';
import { compile, formatIssue } from '../schemas/validate.js';

/**
 * TypeBox validation for management routes (the shared schemas use
 * TypeBox's formats and `errorMessage`, which Fastify's Ajv refuses).
 * Query strings and path parameters are converted first (`"5"` → 5,
 * `"true"` → true; a repeated query name is an array); bodies are taken as sent. A failure is a management
 * error naming every field: 400 `invalid_body`, `invalid_query_string` or
 * `invalid_uri`.
 */
const compiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = compile(schema);
  return (data: unknown) => {
    const value =
      httpPart === 'body'
        ? data
        : Value.Convert(schema, httpPart === 'querystring' ? repeatedAsArrays(data) : data);
    if (validator.check(value)) return { value };
    const text = validator.issues(value).map(formatIssue).join('; ');
    if (httpPart === 'querystring')
      return { error: managementErrors.invalidQuery(`Query validation error: ${text}`) };
    if (httpPart === 'params')
      return { error: managementErrors.invalidUri(`Path validation error: ${text}`) };
    return { error: managementErrors.invalidBody(`Payload validation error: ${text}`) };
  };
};

/** A query string's repeated names (`a=1&a=2`) as arrays, as Auth0's SDKs send an array field. */
function repeatedAsArrays(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(query)) out[k] = v instanceof Repeated ? [...v.values] : v;
  return out;
}

/** Installs the TypeBox validator and a plain JSON serializer (response schemas document; they never drop fields). */
export function installValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(compiler as FastifySchemaCompiler<FastifySchema>);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}
