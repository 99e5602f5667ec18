import { isIP } from 'node:net';
import { FormatRegistry, type SchemaOptions, type TLiteral, type TUnion, Type } from '@sinclair/typebox';

/**
 * Building blocks shared by the object schemas. Every schema here is plain
 * JSON Schema (TypeBox), so the same definitions validate the tenant file,
 * type it (`Static<>`), and can describe the Management API in OpenAPI.
 *
 * A route that validates a request with these schemas must use TypeBox's
 * compiler (`setValidatorCompiler(TypeBoxValidatorCompiler)` from
 * @fastify/type-provider-typebox, or `compile` in ./validate.ts): Fastify's
 * default Ajv, in strict mode, refuses the `errorMessage` keyword and does
 * not know the formats registered below.
 */

/** Options our schemas may carry besides JSON Schema's. */
export interface MessageOptions extends SchemaOptions {
  /**
   * The error for a value that fails this schema's enum or pattern;
   * `{value}` stands for the value as JSON.
   */
  errorMessage?: string;
}

interface Format {
  check: (s: string) => boolean;
  /** The error for a string that is not in this format. */
  message: (s: string) => string;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && Boolean(u.hostname);
  } catch {
    return false;
  }
}

function issuerProblem(s: string): string | undefined {
  if (!/^https?:\/\//i.test(s) || !URL.canParse(s)) return 'must be an absolute http(s) URL';
  const u = new URL(s);
  return u.search || u.hash ? 'must not have a query or fragment' : undefined;
}

function isIpOrCidr(s: string): boolean {
  const [addr, bits, extra] = s.split('/');
  const v = isIP(addr);
  return (
    v !== 0 &&
    extra === undefined &&
    (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128)))
  );
}

/** What Tessera takes for an email address everywhere: one `@`-separated pair without spaces. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;

/** The string formats our schemas use, by name, with the error each one gives. */
export const FORMATS: Readonly<Record<string, Format>> = {
  uri: { check: (s) => URL.canParse(s), message: () => 'must be an absolute URI' },
  'http-url': { check: isHttpUrl, message: () => 'must be an absolute http(s) URL' },
  'issuer-url': {
    check: (s) => issuerProblem(s) === undefined,
    message: (s) => issuerProblem(s) ?? 'must be an issuer URL',
  },
  email: { check: (s) => EMAIL_PATTERN.test(s), message: () => 'must be an email address' },
  'ip-or-cidr': { check: isIpOrCidr, message: () => 'must be an IP address or a CIDR range' },
};
for (const [name, format] of Object.entries(FORMATS)) FormatRegistry.Set(name, format.check);

/** Any string (may be empty). */
export const Text = (options: SchemaOptions = {}) => Type.String(options);

/** A non-empty string. */
export const NonEmpty = (options: SchemaOptions = {}) => Type.String({ minLength: 1, ...options });

/** A name or identifier: 1 to 255 characters. */
export const Name = (options: SchemaOptions = {}) =>
  Type.String({ minLength: 1, maxLength: 255, ...options });

/** An absolute URI (RFC 3986). */
export const Uri = (options: SchemaOptions = {}) => Type.String({ format: 'uri', ...options });

/** An absolute http or https URL. */
export const HttpUrl = (options: SchemaOptions = {}) => Type.String({ format: 'http-url', ...options });

/** An email address (at most 512 characters). */
export const Email = (options: SchemaOptions = {}) =>
  Type.String({ maxLength: 512, format: 'email', ...options });

/** An IPv4/IPv6 address or a CIDR range such as 10.0.0.0/8. */
export const IpOrCidr = (options: SchemaOptions = {}) => Type.String({ format: 'ip-or-cidr', ...options });

/** An integer in [minimum, maximum]. */
export const Int = (minimum: number, maximum: number, options: SchemaOptions = {}) =>
  Type.Integer({ minimum, maximum, ...options });

/** One of a fixed set of strings. */
export function StringEnum<const V extends readonly [string, ...string[]]>(
  values: V,
  options: MessageOptions = {},
): TUnion<TLiteral<V[number]>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as TUnion<TLiteral<V[number]>[]>;
}

/** A mapping with free keys and string values. */
export const StringMap = (options: SchemaOptions = {}) => Type.Record(Type.String(), Type.String(), options);

/** Free-form JSON metadata: any mapping. */
export const Metadata = (options: SchemaOptions = {}) => Type.Record(Type.String(), Type.Unknown(), options);

/** `{ enable: boolean }`, Auth0's switch for an option. */
export const Enable = (options: SchemaOptions = {}) =>
  Type.Object(
    { enable: Type.Optional(Type.Boolean({ description: 'Turns the option on.' })) },
    strict(options),
  );

/** Object options that refuse unknown fields (a typo must never be ignored silently). */
export function strict<O extends SchemaOptions>(options?: O): O & { additionalProperties: false } {
  return { ...(options as O), additionalProperties: false };
}
