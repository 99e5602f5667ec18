import { errors } from '../errors/index.js';

/** A form parameter sent more than once (RFC 6749 §3.2: each at most once). */
export class Repeated {
  constructor(readonly values: string[]) {}
}

/**
 * The parameters of a form or JSON request, read strictly: a parameter sent
 * twice, or sent as anything but a string, is an `invalid_request` naming it.
 * (Text with NUL or invalid UTF-8 never gets here: see http/params.ts,
 * installInputCheck.)
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
    if (v instanceof Repeated) throw errors.duplicateParameter(name);
    if (name === 'scope' && v !== undefined && v !== null && typeof v !== 'string') return scopeList(v);
    if (Array.isArray(v)) throw errors.duplicateParameter(name);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw errors.malformedParameter(name);
    return v;
  }

  /** The value; absent or empty is an `invalid_request` naming it. */
  required(name: string): string {
    const v = this.optional(name);
    if (v === undefined) throw errors.missingParameter(name);
    return v;
  }

  /**
   * Only the named parameters, as they were sent (nothing is read, so a
   * repeated or malformed parameter left out here is not an error): the
   * token endpoint hands a grant only the parameters it declares.
   */
  pick(names: ReadonlySet<string>): Params {
    const kept: Record<string, unknown> = Object.create(null);
    for (const name of names) if (Object.hasOwn(this.values, name)) kept[name] = this.values[name];
    return new Params(kept);
  }

  /** The parameters without any secret, for rules and logs. */
  withoutSecrets(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.values)) {
      if (!SECRET_PARAMS.has(k)) out[k] = v instanceof Repeated ? [...v.values] : v;
    }
    return out;
  }
}

/**
 * `scope` as a JSON array (Auth0 accepts one): the space-joined scope when
 * that is unambiguous (non-empty strings without spaces), else Auth0's
 * `invalid_scope`.
 */
function scopeList(v: unknown): string | undefined {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '' && !/\s/.test(s)))
    throw errors.scopeNotString();
  return v.length > 0 ? v.join(' ') : undefined;
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
