import type { EventColumn, EventFilter } from '../store/repos/events-query.js';

/**
 * The `q` of `GET /api/v2/logs`: a small subset of Lucene, parsed into a tree
 * that the events repository turns into bound parameters (never SQL text).
 *
 *     type:fp
 *     user_id:"auth0|5f…" AND (type:s OR type:fp)
 *     ip:10.0.0.1 OR client_id:web
 *
 * A term is `field:value` or `field:"quoted value"` (`\"` and `\\` escape);
 * `AND` binds tighter than `OR`; two terms side by side mean AND; `NOT` and
 * wildcards are not supported. Anything else is a `LogQueryError` naming
 * the position.
 */

/** The fields `q` may name, and the events column each is. */
export const LOG_QUERY_FIELDS: Readonly<Record<string, EventColumn>> = {
  type: 'type',
  user_id: 'user_id',
  user_name: 'user_name',
  client_id: 'client_id',
  client_name: 'client_name',
  ip: 'ip',
  connection: 'connection',
  connection_id: 'connection_id',
  log_id: 'id',
};

export type LogQueryColumn = EventColumn;

/** The parsed `q`: the events repository's filter. */
export type LogQuery = EventFilter;

/** A `q` that is not in the supported subset. */
export class LogQueryError extends Error {
  override name = 'LogQueryError';
}

/** The longest `q` accepted, and the most terms. */
export const MAX_QUERY_LENGTH = 1024;
const MAX_TERMS = 32;
const MAX_DEPTH = 8;

type Token = { t: 'word' | 'quoted' | '(' | ')' | ':'; v: string; at: number };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ':') {
      out.push({ t: c, v: c, at: i });
      i++;
    } else if (c === '"') {
      const at = i;
      let v = '';
      i++;
      while (i < q.length && q[i] !== '"') {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        v += q[i];
        i++;
      }
      if (i >= q.length) throw new LogQueryError(`unterminated quoted value at position ${at}`);
      i++;
      out.push({ t: 'quoted', v, at });
    } else {
      const at = i;
      let v = '';
      while (i < q.length && !/[\s():"]/.test(q[i]!)) v += q[i++];
      if (/[*?~^\\[\]{}]/.test(v))
        throw new LogQueryError(
          `wildcards, ranges and special characters are not supported (position ${at})`,
        );
      out.push({ t: 'word', v, at });
    }
  }
  return out;
}

/** Parses `q`; throws `LogQueryError` for anything outside the subset. */
export function parseLogQuery(q: string): LogQuery {
  if (q.length > MAX_QUERY_LENGTH) throw new LogQueryError(`q is longer than ${MAX_QUERY_LENGTH} characters`);
  const tokens = tokenize(q);
  if (tokens.length === 0) throw new LogQueryError('q is empty');
  let pos = 0;
  let terms = 0;
  const peek = () => tokens[pos];
  const isOp = (tok: Token | undefined, op: string) => tok?.t === 'word' && tok.v === op;
  const where = () => (peek() ? `position ${peek()!.at}` : 'the end');

  const term = (depth: number): LogQuery => {
    const tok = peek();
    if (!tok) throw new LogQueryError('a term was expected at the end');
    if (tok.t === '(') {
      if (depth >= MAX_DEPTH) throw new LogQueryError(`parentheses nest deeper than ${MAX_DEPTH}`);
      pos++;
      const inner = or(depth + 1);
      if (peek()?.t !== ')') throw new LogQueryError(`")" expected at ${where()}`);
      pos++;
      return inner;
    }
    if (tok.t !== 'word' || tok.v === 'AND' || tok.v === 'OR' || tok.v === 'NOT') {
      if (tok.v === 'NOT') throw new LogQueryError(`NOT is not supported (position ${tok.at})`);
      throw new LogQueryError(`a field name expected at position ${tok.at}`);
    }
    const column = LOG_QUERY_FIELDS[tok.v];
    if (!Object.hasOwn(LOG_QUERY_FIELDS, tok.v) || !column)
      throw new LogQueryError(
        `unknown field "${tok.v.slice(0, 40)}" (one of ${Object.keys(LOG_QUERY_FIELDS).join(', ')})`,
      );
    pos++;
    if (peek()?.t !== ':') throw new LogQueryError(`":" expected after ${tok.v} at ${where()}`);
    pos++;
    const value = peek();
    if (!value || (value.t !== 'word' && value.t !== 'quoted') || value.v === '')
      throw new LogQueryError(`a value expected for ${tok.v} at ${where()}`);
    pos++;
    if (++terms > MAX_TERMS) throw new LogQueryError(`more than ${MAX_TERMS} terms`);
    return { kind: 'term', column, value: value.v };
  };

  const and = (depth: number): LogQuery => {
    const items = [term(depth)];
    for (;;) {
      const tok = peek();
      if (!tok || tok.t === ')' || isOp(tok, 'OR')) break;
      if (isOp(tok, 'AND')) pos++;
      items.push(term(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };

  const or = (depth: number): LogQuery => {
    const items = [and(depth)];
    while (isOp(peek(), 'OR')) {
      pos++;
      items.push(and(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  };

  const tree = or(0);
  if (pos < tokens.length) throw new LogQueryError(`unexpected "${peek()!.v.slice(0, 40)}" at ${where()}`);
  return tree;
}
