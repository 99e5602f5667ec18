import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { FORMATS } from './common.js';
import { formatPath, isMapping, type Segment } from './path.js';

/** One problem with a document: where, and what. */
export interface Issue {
  path: Segment[];
  message: string;
}

/** An issue that sorts after every issue inside `after` (a rule across that object's fields). */
export interface RankedIssue extends Issue {
  after?: Segment[];
}

/** `path: message`, the way the tenant file's errors read; the empty path is `(top level)`. */
export function formatIssue(issue: Issue): string {
  return `${formatPath(issue.path) || '(top level)'}: ${issue.message}`;
}

/**
 * A schema compiled once (TypeBox's compiler) that checks a value and, when
 * it fails, lists its issues in document order: a mapping's unknown fields
 * first, then its fields in the schema's order, a list's items in order; one
 * issue per path.
 */
export interface Validator<T> {
  check(value: unknown): value is T;
  issues(value: unknown): Issue[];
}

export function compile<S extends TSchema>(schema: S): Validator<Static<S>> {
  const compiled = TypeCompiler.Compile(schema);
  return {
    check: (value): value is Static<S> => compiled.Check(value),
    issues(value) {
      if (compiled.Check(value)) return [];
      const byPath = new Map<string, Issue>();
      for (const error of compiled.Errors(value)) {
        const path = segments(error.path, value);
        const key = JSON.stringify(path);
        // The first error at a path is the one to tell (a missing field is also "not a string").
        if (!byPath.has(key)) byPath.set(key, { path, message: message(error) });
      }
      return sortIssues(schema, value, [...byPath.values()]);
    },
  };
}

/**
 * Sorts issues in document order (see `Validator`), stably. An issue with
 * `after` set sorts after every issue inside that path: a rule across an
 * object's fields is told after the fields' own problems.
 */
export function sortIssues<I extends RankedIssue>(schema: TSchema, value: unknown, issues: I[]): I[] {
  const keyed = issues.map((issue) => ({
    issue,
    rank: issue.after ? [...rank(schema, value, issue.after), Infinity] : rank(schema, value, issue.path),
  }));
  keyed.sort((a, b) => compareRanks(a.rank, b.rank));
  return keyed.map((k) => k.issue);
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Where a path sits in document order: per key (0 unknown | 1 known, position), per index the index. */
function rank(schema: TSchema | undefined, value: unknown, path: readonly Segment[]): number[] {
  const out: number[] = [];
  let s = schema;
  let v = value;
  for (const seg of path) {
    if (typeof seg === 'number') {
      out.push(seg);
      s = s?.items;
      v = Array.isArray(v) ? v[seg] : undefined;
      continue;
    }
    const known = s?.properties ? Object.keys(s.properties).indexOf(seg) : -1;
    if (known >= 0) {
      out.push(1, known);
      s = s?.properties[seg];
    } else {
      out.push(0, isMapping(v) ? Object.keys(v).indexOf(seg) : 0);
      s = s?.patternProperties ? (Object.values(s.patternProperties)[0] as TSchema) : undefined;
    }
    v = isMapping(v) ? v[seg] : undefined;
  }
  return out;
}

/** TypeBox's JSON pointer (`/clients/1/grant_types/0`) as segments, indices where the value has a list. */
function segments(pointer: string, value: unknown): Segment[] {
  if (pointer === '') return [];
  const out: Segment[] = [];
  let v = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(v) && /^\d+$/.test(key)) {
      out.push(Number(key));
      v = v[Number(key)];
    } else {
      out.push(key);
      v = isMapping(v) ? v[key] : undefined;
    }
  }
  return out;
}

/** One error in the tenant file's words. */
function message(error: ValueError): string {
  const { schema, value } = error;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'missing required field';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field';
    case ValueErrorType.Object:
      return 'must be a mapping';
    case ValueErrorType.Array:
      return 'must be a list';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters`;
    case ValueErrorType.StringPattern:
      return custom(schema, value) ?? `must match ${schema.pattern}`;
    case ValueErrorType.StringFormat:
      return FORMATS[schema.format]?.message(String(value)) ?? `must be in the format ${schema.format}`;
    case ValueErrorType.Integer:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return `must be an integer between ${schema.minimum} and ${schema.maximum}`;
    case ValueErrorType.Union:
    case ValueErrorType.Literal: {
      // A string enum: a union of string literals, or one literal (TypeBox unwraps a union of one).
      const values: TSchema[] = schema.anyOf ?? [schema];
      if (!values.every((s) => typeof s.const === 'string')) return error.message;
      if (typeof value !== 'string') return 'must be a string';
      const list = values.map((s) => JSON.stringify(s.const)).join(', ');
      return custom(schema, value) ?? `must be one of ${list} (got ${JSON.stringify(value)})`;
    }
    default:
      return error.message;
  }
}

/** A schema's own `errorMessage`, with `{value}` filled in. */
function custom(schema: TSchema, value: unknown): string | undefined {
  const template: unknown = schema.errorMessage;
  return typeof template === 'string'
    ? template.replaceAll('{value}', () => JSON.stringify(value))
    : undefined;
}
