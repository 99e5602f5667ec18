import { errors } from '../oauth/errors.js';

/**
 * The parameters of a form or JSON request, read strictly: a parameter sent
 * twice, or sent as anything but a string, is an `invalid_request` naming it.
 */
export class Params {
  private readonly values: Record<string, unknown>;

  constructor(body: unknown) {
    if (body === undefined || body === null || body === '') {
      this.values = Object.create(null);
    } else if (typeof body === 'object' && !Array.isArray(body)) {
      this.values = body as Record<string, unknown>;
    } else {
      throw errors.invalidRequest(
        'The request body must be a form (application/x-www-form-urlencoded) or a JSON object',
      );
    }
  }

  /** The value, or undefined when absent or empty. */
  optional(name: string): string | undefined {
    if (!Object.hasOwn(this.values, name)) return undefined;
    const v = this.values[name];
    if (Array.isArray(v)) throw errors.duplicateParameter(name);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw errors.malformedParameter(name);
    return v;
  }

  required(name: string): string {
    const v = this.optional(name);
    if (v === undefined) throw errors.missingParameter(name);
    return v;
  }

  /** The parameters without any secret, for rules and logs. */
  withoutSecrets(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.values)) {
      if (!SECRET_PARAMS.has(k)) out[k] = v;
    }
    return out;
  }
}

const SECRET_PARAMS = new Set([
  'password',
  'client_secret',
  'refresh_token',
  'otp',
  'binding_code',
  'recovery_code',
  'mfa_token',
  'oob_code',
  'client_assertion',
]);

/**
 * Parses an application/x-www-form-urlencoded body into an object without
 * a prototype; a repeated name becomes an array (rejected by Params).
 * Invalid percent-encoding or UTF-8 decodes to U+FFFD rather than failing.
 */
export function parseForm(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
