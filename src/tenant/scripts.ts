import { compileErrors } from '../rules/compile-check.js';
import { WRAPPER_LINES_BEFORE, wrapAction, wrapRule } from '../rules/sandbox-source.js';
import type { TenantDoc } from './schema.js';

/**
 * Every rule and action of the file compiled as a login would compile it: a
 * script that does not compile would refuse every login, so the file is
 * refused instead, naming the script, the line and the column.
 */
export function scriptErrors(doc: TenantDoc): string[] {
  const scripts = [
    ...(doc.rules ?? []).map((r, i) => ({
      path: `rules[${i}].script`,
      what: `rule ${JSON.stringify(r.name)}`,
      source: wrapRule(r.script),
    })),
    ...(doc.actions ?? []).map((a, i) => ({
      path: `actions[${i}].code`,
      what: `action ${JSON.stringify(a.name)}`,
      source: wrapAction(a.code),
    })),
  ];
  const found = compileErrors(scripts.map((s) => ({ source: s.source, linesBefore: WRAPPER_LINES_BEFORE })));
  return scripts.flatMap((s, i) => (found[i] ? [`${s.path}: ${s.what} does not compile: ${found[i]}`] : []));
}
