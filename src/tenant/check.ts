import { isIP } from 'node:net';

/**
 * A tiny declarative validator for the tenant file. A `Check<T>` looks at one
 * value and pushes `path: message` strings onto `errors` (it never stops at
 * the first one); the phantom `T` is the type of a value it accepts, so one
 * description gives both the validation and the TypeScript type.
 */
export interface Check<T> {
  (value: unknown, path: string, errors: string[]): void;
  readonly _type?: T;
}

/** A field that may be absent (`undefined`) in its object. */
export interface OptionalCheck<T> extends Check<T> {
  readonly optional: true;
}

/** The type a check accepts. */
export type Infer<C> = C extends Check<infer T> ? T : never;

type Fields = Record<string, Check<any>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectOf<F extends Fields> = Simplify<
  { -readonly [K in keyof F as F[K] extends OptionalCheck<any> ? never : K]: Infer<F[K]> } & {
    -readonly [K in keyof F as F[K] extends OptionalCheck<any> ? K : never]?: Infer<F[K]>;
  }
>;

/** Joins a path and a key: `clients[0]` + `name` → `clients[0].name`. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function fail(errors: string[], path: string, message: string): void {
  errors.push(`${path || '(top level)'}: ${message}`);
}

/** True for a plain mapping (not a list, not null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any string, optionally bounded in length and refined (`refine` returns a message or undefined). */
export function string(
  opts: { min?: number; max?: number; refine?: (s: string) => string | undefined } = {},
): Check<string> {
  return (value, path, errors) => {
    if (typeof value !== 'string') return fail(errors, path, 'must be a string');
    if (opts.min && value.length < opts.min) {
      return fail(
        errors,
        path,
        opts.min === 1 ? 'must not be empty' : `must be at least ${opts.min} characters`,
      );
    }
    if (opts.max && value.length > opts.max)
      return fail(errors, path, `must be at most ${opts.max} characters`);
    const problem = opts.refine?.(value);
    if (problem) fail(errors, path, problem);
  };
}

export function boolean(): Check<boolean> {
  return (value, path, errors) => {
    if (typeof value !== 'boolean') fail(errors, path, 'must be true or false');
  };
}

/** An integer in [min, max]. */
export function integer(min: number, max: number): Check<number> {
  return (value, path, errors) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(errors, path, `must be an integer between ${min} and ${max}`);
    }
  };
}

/** One of a fixed set of strings; `unknown` words the message for a value outside it. */
export function oneOf<const V extends string>(
  values: readonly V[],
  unknown?: (v: string) => string,
): Check<V> {
  const list = values.map((v) => JSON.stringify(v)).join(', ');
  return (value, path, errors) => {
    if (typeof value !== 'string') return fail(errors, path, 'must be a string');
    if (!values.includes(value as V)) {
      fail(errors, path, unknown ? unknown(value) : `must be one of ${list} (got ${JSON.stringify(value)})`);
    }
  };
}

export function arrayOf<T>(item: Check<T>): Check<T[]> {
  return (value, path, errors) => {
    if (!Array.isArray(value)) return fail(errors, path, 'must be a list');
    value.forEach((v, i) => {
      item(v, child(path, i), errors);
    });
  };
}

/** A mapping with free keys, every value checked by `item`. */
export function record<T>(item: Check<T>): Check<Record<string, T>> {
  return (value, path, errors) => {
    if (!isMapping(value)) return fail(errors, path, 'must be a mapping');
    for (const [k, v] of Object.entries(value)) item(v, child(path, k), errors);
  };
}

/** Free-form JSON metadata: any mapping. */
export function metadata(): Check<Record<string, unknown>> {
  return (value, path, errors) => {
    if (!isMapping(value)) fail(errors, path, 'must be a mapping');
  };
}

/**
 * A mapping with exactly the given fields: unknown ones and missing required
 * ones are errors. `refine` sees the object only when its fields were valid,
 * so one mistake is not reported twice.
 */
export function object<F extends Fields>(
  fields: F,
  refine?: (value: ObjectOf<F>, path: string, errors: string[]) => void,
): Check<ObjectOf<F>> {
  return (value, path, errors) => {
    if (!isMapping(value)) return fail(errors, path, 'must be a mapping');
    const before = errors.length;
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(fields, key)) fail(errors, child(path, key), 'unknown field');
    }
    for (const [key, check] of Object.entries(fields)) {
      const v = value[key];
      if (v === undefined) {
        if (!('optional' in check)) fail(errors, child(path, key), 'missing required field');
      } else check(v, child(path, key), errors);
    }
    if (refine && errors.length === before) refine(value as ObjectOf<F>, path, errors);
  };
}

export function optional<T>(check: Check<T>): OptionalCheck<T> {
  const wrapped = ((value, path, errors) => check(value, path, errors)) as Check<T> & { optional: true };
  Object.defineProperty(wrapped, 'optional', { value: true });
  return wrapped as OptionalCheck<T>;
}

/** An absolute http or https URL. */
export function httpUrl(): Check<string> {
  return string({ refine: (s) => (isHttpUrl(s) ? undefined : 'must be an absolute http(s) URL') });
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && Boolean(u.hostname);
  } catch {
    return false;
  }
}

export function email(): Check<string> {
  return string({
    max: 512,
    refine: (s) => (/^[^\s@]+@[^\s@]+$/.test(s) ? undefined : 'must be an email address'),
  });
}

/** An IPv4/IPv6 address or a CIDR range such as 10.0.0.0/8. */
export function ipOrCidr(): Check<string> {
  return string({
    refine: (s) => {
      const [addr, bits, extra] = s.split('/');
      const v = isIP(addr);
      const ok =
        v !== 0 &&
        extra === undefined &&
        (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128)));
      return ok ? undefined : 'must be an IP address or a CIDR range';
    },
  });
}

/**
 * A list whose items must be unique by `key`. A duplicate is reported at
 * `list[i].field` (or `list[i]` without `field`) with `message(item)`.
 * `key` may see an invalid item: it must return a string only when the
 * fields it reads are strings.
 */
export function uniqueArrayOf<T>(
  item: Check<T>,
  key: (item: T) => string | undefined,
  message: (item: T) => string,
  field?: string,
): Check<T[]> {
  return (value, path, errors) => {
    if (!Array.isArray(value)) return fail(errors, path, 'must be a list');
    const seen = new Set<string>();
    value.forEach((v, i) => {
      const before = errors.length;
      item(v, child(path, i), errors);
      // An invalid item is still compared when its key is sound.
      const k = errors.length === before || isMapping(v) ? key(v as T) : undefined;
      if (typeof k !== 'string') return;
      if (seen.has(k))
        errors.push(`${field ? child(child(path, i), field) : child(path, i)}: ${message(v as T)}`);
      seen.add(k);
    });
  };
}

/**
 * A list whose items are unique by one string field: a duplicate is an error
 * at that field, `duplicate <label> "<value>"`.
 */
export function uniqueBy<T>(item: Check<T>, field: keyof T & string, label: string): Check<T[]> {
  return uniqueArrayOf(
    item,
    (v) => v[field] as unknown as string | undefined,
    (v) => `duplicate ${label} "${String(v[field])}"`,
    field,
  );
}
