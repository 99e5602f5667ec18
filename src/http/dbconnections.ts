import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AccountError, accountErrors } from '../errors/account.js';
import { CHANGE_PASSWORD_ANSWER, requestPasswordReset } from '../identity/reset.js';
import { type SignupInput, signUp } from '../identity/signup.js';
import { EMAIL_PATTERN } from '../identity/users.js';
import { backgroundOf } from '../notify/background.js';
import { toOAuth } from '../oauth/wire.js';
import { Repeated } from '../oauth/params.js';
import type { Runtime } from '../runtime.js';
import { requestInfo } from './request-info.js';

/**
 * Auth0's database-connection endpoints, `POST /dbconnections/signup` and
 * `POST /dbconnections/change_password` (JSON or form), with Auth0's own
 * error shape for them: `{name, code, description, statusCode}`.
 */

/** The most each field may hold (characters), Auth0's where it documents one. */
export const FIELD_LIMITS = {
  client_id: 255,
  connection: 255,
  email: 512,
  password: 256,
  username: 128,
  given_name: 150,
  family_name: 150,
  name: 300,
  nickname: 300,
  picture: 2048,
  phone_number: 32,
} as const;

/** user_metadata: at most 10 string properties, names up to 100 characters, values up to 500 [R]. */
export const METADATA_LIMITS = { properties: 10, name: 100, value: 500 } as const;

type Body = Record<string, unknown>;

function bodyOf(raw: unknown): Body {
  if (raw === undefined || raw === null || raw === '') return Object.create(null);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw accountErrors.invalidBody('The request body must be a JSON object or a form');
  }
  return raw as Body;
}

function text(body: Body, name: keyof typeof FIELD_LIMITS, required: true): string;
function text(body: Body, name: keyof typeof FIELD_LIMITS, required?: false): string | undefined;
function text(body: Body, name: keyof typeof FIELD_LIMITS, required = false): string | undefined {
  const v = Object.hasOwn(body, name) ? body[name] : undefined;
  if (v === undefined || v === null || v === '') {
    if (required) throw accountErrors.missing(name);
    return undefined;
  }
  if (Array.isArray(v) || v instanceof Repeated) throw accountErrors.invalidBody(`${name} must be sent once`);
  if (typeof v !== 'string') throw accountErrors.invalidBody(`${name} must be a string`);
  if (v.includes('\u0000')) throw accountErrors.invalidBody(`${name} must not contain NUL characters`);
  if (v.length > FIELD_LIMITS[name]) {
    throw accountErrors.invalidBody(`${name} is too long (at most ${FIELD_LIMITS[name]} characters)`);
  }
  return v;
}

function emailOf(body: Body): string {
  const email = text(body, 'email', true);
  if (!EMAIL_PATTERN.test(email)) throw accountErrors.invalidBody('email is not a valid email address');
  return email;
}

function metadataOf(body: Body): Record<string, string> | undefined {
  const v = Object.hasOwn(body, 'user_metadata') ? body.user_metadata : undefined;
  if (v === undefined || v === null) return undefined;
  const L = METADATA_LIMITS;
  const bad = () =>
    accountErrors.invalidBody(
      `user_metadata must be an object of at most ${L.properties} string properties (names up to ${L.name} characters, values up to ${L.value})`,
    );
  if (typeof v !== 'object' || Array.isArray(v)) throw bad();
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > L.properties) throw bad();
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    if (typeof val !== 'string' || k.length === 0 || k.length > L.name || val.length > L.value) throw bad();
    if (k.includes('\u0000') || val.includes('\u0000')) {
      throw accountErrors.invalidBody('user_metadata must not contain NUL characters');
    }
    Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function pictureOf(body: Body): string | undefined {
  const p = text(body, 'picture');
  if (p === undefined) return undefined;
  let ok = false;
  try {
    const u = new URL(p);
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {}
  if (!ok) throw accountErrors.invalidBody('picture must be an http(s) URL');
  return p;
}

export function parseSignup(raw: unknown): SignupInput {
  const body = bodyOf(raw);
  const input: SignupInput = {
    client_id: text(body, 'client_id', true),
    connection: text(body, 'connection', true),
    email: emailOf(body),
    password: text(body, 'password', true),
  };
  for (const k of ['username', 'given_name', 'family_name', 'name', 'nickname', 'phone_number'] as const) {
    const v = text(body, k);
    if (v !== undefined) input[k] = v;
  }
  const picture = pictureOf(body);
  if (picture !== undefined) input.picture = picture;
  if (input.phone_number !== undefined && !/^\+?[0-9 ().-]{3,}$/.test(input.phone_number)) {
    throw accountErrors.invalidBody('phone_number must be a phone number (digits, spaces, + ( ) - .)');
  }
  const metadata = metadataOf(body);
  if (metadata !== undefined) input.user_metadata = metadata;
  return input;
}

export function parseChangePassword(raw: unknown): { client_id: string; connection: string; email: string } {
  const body = bodyOf(raw);
  return {
    client_id: text(body, 'client_id', true),
    connection: text(body, 'connection', true),
    email: emailOf(body),
  };
}

/** Auth0's answer for each refusal (`name`, status, and `code` when it differs from ours). */
const WIRE: Record<AccountError['code'], { status: number; name: string; code?: string; message?: string }> =
  {
    invalid_body: { status: 400, name: 'BadRequestError' },
    invalid_client: { status: 400, name: 'BadRequestError' },
    invalid_connection: { status: 400, name: 'BadRequestError' },
    signup_disabled: { status: 403, name: 'ForbiddenError', code: 'operation_not_allowed' },
    invalid_signup: { status: 400, name: 'BadRequestError' },
    password_strength: { status: 400, name: 'PasswordStrengthError', code: 'invalid_password' },
    password_dictionary: {
      status: 400,
      name: 'PasswordDictionaryError',
      code: 'invalid_password',
      message: 'Password is too common',
    },
    password_user_info: { status: 400, name: 'PasswordNoUserInfoError', code: 'invalid_password' },
    password_leaked: { status: 400, name: 'BadRequestError' },
    too_many_attempts: { status: 429, name: 'TooManyRequestsError' },
  };

export function accountErrorBody(err: AccountError): { status: number; body: Record<string, unknown> } {
  const w = WIRE[err.code];
  const code = w.code ?? err.code;
  if (err.code === 'password_strength') {
    return {
      status: w.status,
      body: {
        name: w.name,
        message: err.message,
        code,
        description: { rules: err.extra.rules ?? [], verified: false },
        policy: err.extra.policy ?? '',
        statusCode: w.status,
      },
    };
  }
  const message = w.message ?? (w.name.startsWith('Password') ? err.message : undefined);
  return {
    status: w.status,
    body: {
      name: w.name,
      ...(message ? { message } : {}),
      code,
      description: err.message,
      statusCode: w.status,
    },
  };
}

function send(reply: FastifyReply, status: number, name: string, code: string, description: string) {
  return reply.code(status).send({ name, code, description, statusCode: status });
}

/** Errors of this scope, in Auth0's dbconnections shape; a 500 says nothing of internals. */
function onError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AccountError) {
    const { status, body } = accountErrorBody(err);
    if (err.extra.retryAfterS) reply.header('Retry-After', String(err.extra.retryAfterS));
    return reply.code(status).send(body);
  }
  const oauth = toOAuth(err);
  if (oauth && oauth.status < 500) {
    // The catalogue's invalid_request (e.g. NUL refused at the edge) is Auth0's invalid_body here.
    const code = oauth.error === 'invalid_request' ? 'invalid_body' : oauth.error;
    return send(reply, oauth.status, 'BadRequestError', code, oauth.description);
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return send(reply, 413, 'PayloadTooLargeError', 'invalid_body', 'The request body is too large');
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return send(reply, 415, 'UnsupportedMediaTypeError', 'invalid_body', 'Send application/json or a form');
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return send(reply, 400, 'BadRequestError', 'invalid_body', 'The request body is not valid JSON');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return send(reply, err.statusCode, 'BadRequestError', 'invalid_body', 'The request could not be read');
  }
  request.log.error({ err }, 'unhandled error');
  return send(reply, 500, 'InternalServerError', 'server_error', 'Internal error');
}

/**
 * Sign-up and the password-reset request (Auth0's `/dbconnections/*`), as a
 * Fastify plugin with its own error shape (`onError`).
 */
export const dbconnectionsRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (app, { rt }) => {
  // Emails still under way go out before the server closes.
  app.addHook('preClose', () => backgroundOf(rt, rt.log).idle());
  await app.register(async (scope) => {
    scope.setErrorHandler(onError);
    scope.post('/dbconnections/signup', async (request, reply) => {
      const input = parseSignup(request.body);
      const answer = await signUp(rt, input, requestInfo(rt, request));
      return reply.code(200).send(answer);
    });
    scope.post('/dbconnections/change_password', async (request, reply) => {
      const input = parseChangePassword(request.body);
      await requestPasswordReset(rt, input, requestInfo(rt, request));
      return reply.code(200).type('text/plain; charset=utf-8').send(CHANGE_PASSWORD_ANSWER);
    });
  });
};
