import { parseDocument } from 'yaml';
import { child, isMapping } from '../schemas/path.js';
import { referenceErrors } from './references.js';
import { scriptErrors } from './scripts.js';
import { shapeErrors, type TenantDoc, TenantFileError } from './schema.js';

type Env = Record<string, string | undefined>;

// `$${` is an escaped literal `${`; `${NAME}` is a variable. Anything else
// after `${` (a JavaScript template literal in a rule, say) stays as written.
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Code is taken verbatim: a rule's `script` and an action's `code` are
 * JavaScript, where `${…}` is a template literal, never a variable.
 */
export const VERBATIM = /^(rules\[\d+\]\.script|actions\[\d+\]\.code)$/;

/** The values that hold a secret: `tessera export` writes each as a `${VAR}` reference. */
export const SECRET_SLOT =
  /^(clients\[\d+\]\.client_secret|actions\[\d+\]\.secrets\..+|rulesConfigs\[\d+\]\.value)$/;

const WHOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export interface ParseOptions {
  /**
   * A secret slot that is exactly `${VAR}` with VAR unset is not an error
   * here: applyTenant keeps the secret the database holds for it, and fails
   * naming VAR when it holds none (`tessera apply` re-applying an export).
   */
  keepStoredSecrets?: boolean;
}

const storedSecretSlots = new WeakMap<object, ReadonlyMap<string, string>>();

/** The secret slots parseTenantFile left for applyTenant to fill from the database: path → variable. */
export function secretsToKeep(doc: TenantDoc): ReadonlyMap<string, string> {
  return storedSecretSlots.get(doc) ?? new Map();
}

/**
 * Parses a tenant file (YAML, or JSON since JSON is YAML) and validates it.
 * `${VAR}` in any string value is replaced from `env` after parsing, so a
 * value can never inject YAML structure; `$${X}` stands for a literal `${X}`.
 * Throws one TenantFileError listing every problem: YAML syntax errors with
 * their line and column, unset variables with the path of the value that
 * uses them, then the schema's errors.
 */
export function parseTenantFile(text: string, env: Env, opts: ParseOptions = {}): TenantDoc {
  const yaml = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (yaml.errors.length > 0) {
    throw new TenantFileError(
      yaml.errors.map((e) => {
        const pos = e.linePos?.[0];
        const message = e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
        return pos ? `line ${pos.line}, column ${pos.col}: ${message}` : message;
      }),
    );
  }
  const raw: unknown = yaml.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) throw new TenantFileError(['(top level): the tenant file is empty']);

  const missing: string[] = [];
  const keep = new Map<string, string>();
  const value = substitute(raw, '', env, missing, opts.keepStoredSecrets ? keep : undefined);
  // A value whose variable is missing (or left to the database) is not judged again by the schema.
  const missingAt = new Set([...missing.map((m) => m.slice(0, m.indexOf(': '))), ...keep.keys()]);
  let errors = shapeErrors(value).filter((e) => !missingAt.has(e.slice(0, e.indexOf(': '))));
  if (errors.length === 0 && missing.length === 0)
    errors = [...referenceErrors(value as TenantDoc), ...scriptErrors(value as TenantDoc)];
  if (missing.length + errors.length > 0) throw new TenantFileError([...missing, ...errors]);
  if (keep.size > 0) storedSecretSlots.set(value as object, keep);
  return value as TenantDoc;
}

/** Replaces `${VAR}` in every string of a parsed tree; records unset variables in `missing`. */
function substitute(
  node: unknown,
  path: string,
  env: Env,
  missing: string[],
  keep: Map<string, string> | undefined,
): unknown {
  if (typeof node === 'string') {
    if (VERBATIM.test(path)) return node;
    const whole = WHOLE_REFERENCE.exec(node)?.[1];
    if (keep && whole !== undefined && env[whole] === undefined && SECRET_SLOT.test(path)) {
      keep.set(path, whole);
      return node;
    }
    return node.replace(REFERENCE, (whole, name: string | undefined) => {
      if (name === undefined) return '${';
      const value = env[name];
      if (value === undefined) {
        missing.push(`${path || '(top level)'}: environment variable ${name} is not set`);
        return whole;
      }
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((v, i) => substitute(v, child(path, i), env, missing, keep));
  if (isMapping(node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      Object.defineProperty(out, k, {
        value: substitute(v, child(path, k), env, missing, keep),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return node;
}

/** Escapes a literal string for the tenant file, so that parsing gives it back unchanged. */
export function escapeReferences(s: string): string {
  return s.replaceAll('${', () => '$${');
}
