import { managementErrors } from '../errors/index.js';
import {
  SORT_COLUMNS,
  type SearchNode,
  type SearchTarget,
  type SortField,
} from '../store/repos/user-search.js';

/**
 * The Lucene subset of Auth0's user search v3 (spec section 11): a
 * tokenizer and a recursive-descent parser into the store's `SearchNode`
 * tree (which binds every value as a parameter).
 *
 *   query   := or
 *   or      := and (('OR' | '||' | juxtaposition) and)*   (Lucene's default operator is OR)
 *   and     := unary (('AND' | '&&') unary)*
 *   unary   := ('NOT' | '!' | '-') unary | primary
 *   primary := '(' or ')' | field ':' value | value   (a bare value: email, username or name)
 *   value   := word | word* | "quoted" | ('[' | '{') bound 'TO' bound (']' | '}')
 *
 * Fields: email, username (case-insensitive), user_id, name, nickname,
 * given_name, family_name, blocked, email_verified, logins_count,
 * app_metadata.<key>[.<key>…], user_metadata.<key>[.<key>…]. Anything else
 * (unknown fields, leading or inner wildcards, unbalanced parentheses or
 * quotes, too long or too deep) is a 400 `invalid_query_string`.
 */

/** The longest `q` accepted (characters). */
export const MAX_QUERY_LENGTH = 2000;
const MAX_TERMS = 50;
const MAX_DEPTH = 10;
const MAX_VALUE = 512;
const KEY = /^[A-Za-z0-9_-]{1,100}$/;

type Token =
  | { t: 'word'; text: string; star: 'none' | 'end' | 'inner' | 'lead'; keyword?: string }
  | { t: 'quoted'; text: string }
  | { t: '(' | ')' | '[' | ']' | '{' | '}' | ':' };

const bad = (detail: string) => managementErrors.invalidQuery(`Query validation error: ${detail}`);

const PUNCT = new Set(['(', ')', '[', ']', '{', '}', ':']);
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'TO', '&&', '||', '!']);

/** Splits a query into tokens; backslash escapes any character. */
export function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (PUNCT.has(c)) {
      out.push({ t: c as '(' });
      i++;
    } else if (c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= q.length) throw bad('unterminated quoted string');
        const d = q[i] as string;
        if (d === '\\' && i + 1 < q.length) {
          text += q[i + 1];
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      out.push({ t: 'quoted', text });
    } else {
      let text = '';
      let raw = '';
      const stars: number[] = [];
      let question = false;
      while (i < q.length) {
        const d = q[i] as string;
        if (/\s/.test(d) || PUNCT.has(d) || d === '"') break;
        if (d === '\\') {
          if (i + 1 >= q.length) throw bad('a backslash must escape a character');
          text += q[i + 1];
          raw += 'x';
          i += 2;
          continue;
        }
        if (d === '*') stars.push(text.length);
        if (d === '?') question = true;
        text += d;
        raw += d;
        i++;
      }
      let star: 'none' | 'end' | 'inner' | 'lead' = 'none';
      if (stars.includes(0) && text.length > 0) star = 'lead';
      else if (question || stars.some((s) => s !== text.length - 1) || stars.length > 1) star = 'inner';
      else if (stars.length === 1) star = 'end';
      out.push({ t: 'word', text, star, ...(KEYWORDS.has(raw) ? { keyword: raw } : {}) });
    }
  }
  return out;
}

const PROFILE = new Set(['name', 'nickname', 'given_name', 'family_name']);

/** The target of a field name; 400 for a field that cannot be searched. */
function targetOf(field: string): SearchTarget {
  if (field === 'email') return { kind: 'lower', column: 'email_lower' };
  if (field === 'username') return { kind: 'lower', column: 'username_lower' };
  if (field === 'user_id') return { kind: 'column', column: 'id' };
  if (field === 'logins_count') return { kind: 'number', column: 'logins_count' };
  if (field === 'blocked' || field === 'email_verified') return { kind: 'flag', column: field };
  if (PROFILE.has(field)) return { kind: 'json', column: 'profile', path: [field] };
  const [root, ...path] = field.split('.');
  if ((root === 'app_metadata' || root === 'user_metadata') && path.length > 0) {
    if (path.length > 5 || !path.every((k) => KEY.test(k)))
      throw bad(`"${field}": metadata keys are letters, digits, "_" and "-", at most 5 deep`);
    return { kind: 'json', column: root, path };
  }
  throw bad(`"${field.slice(0, 100)}" is not a field that can be searched`);
}

class Parser {
  private i = 0;
  private terms = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): SearchNode {
    const node = this.or(0);
    const rest = this.tokens[this.i];
    if (rest) throw bad(rest.t === ')' ? 'unbalanced parentheses' : 'unexpected input after the query');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private isKeyword(k: string[]): boolean {
    const t = this.peek();
    return t?.t === 'word' && t.keyword !== undefined && k.includes(t.keyword);
  }

  private or(depth: number): SearchNode {
    if (depth > MAX_DEPTH) throw bad(`parentheses nest at most ${MAX_DEPTH} deep`);
    const items = [this.and(depth)];
    for (;;) {
      if (this.isKeyword(['OR', '||'])) this.i++;
      else if (!this.peek() || this.peek()?.t === ')') break;
      items.push(this.and(depth));
    }
    return items.length === 1 ? (items[0] as SearchNode) : { op: 'or', items };
  }

  private and(depth: number): SearchNode {
    const items = [this.unary(depth)];
    while (this.isKeyword(['AND', '&&'])) {
      this.i++;
      items.push(this.unary(depth));
    }
    return items.length === 1 ? (items[0] as SearchNode) : { op: 'and', items };
  }

  private unary(depth: number): SearchNode {
    if (this.isKeyword(['NOT', '!'])) {
      this.i++;
      if (depth >= MAX_DEPTH) throw bad(`parentheses nest at most ${MAX_DEPTH} deep`);
      return { op: 'not', item: this.unary(depth + 1) };
    }
    const t = this.peek();
    if (t?.t === 'word' && !t.keyword && t.text.startsWith('-') && t.text.length > 1) {
      // `-field:value`: NOT.
      this.tokens[this.i] = { ...t, text: t.text.slice(1), star: t.star === 'lead' ? 'lead' : t.star };
      return { op: 'not', item: this.primary(depth) };
    }
    return this.primary(depth);
  }

  private primary(depth: number): SearchNode {
    const t = this.peek();
    if (!t) throw bad('the query ends where a term is expected');
    if (t.t === '(') {
      this.i++;
      const inner = this.or(depth + 1);
      if (this.peek()?.t !== ')') throw bad('unbalanced parentheses');
      this.i++;
      return inner;
    }
    if (++this.terms > MAX_TERMS) throw bad(`at most ${MAX_TERMS} terms`);
    if (t.t === 'word' && !t.keyword && this.tokens[this.i + 1]?.t === ':') {
      this.i += 2;
      return this.value(targetOf(t.text), t.text);
    }
    // A bare value: email, username or name.
    const targets: SearchTarget[] = [
      { kind: 'lower', column: 'email_lower' },
      { kind: 'lower', column: 'username_lower' },
      { kind: 'json', column: 'profile', path: ['name'] },
    ];
    const start = this.i;
    const items = targets.map((target) => {
      this.i = start;
      return this.value(target, 'the bare term');
    });
    return { op: 'or', items };
  }

  private value(target: SearchTarget, field: string): SearchNode {
    const t = this.peek();
    if (t?.t === '[' || t?.t === '{') return this.range(target, field);
    if (!t || (t.t !== 'word' && t.t !== 'quoted') || (t.t === 'word' && t.keyword))
      throw bad(`${field} has no value`);
    this.i++;
    if (t.text.length > MAX_VALUE) throw bad(`a value is at most ${MAX_VALUE} characters`);
    if (t.t === 'word' && t.star === 'lead') throw bad('a wildcard (*) cannot begin a term');
    if (t.t === 'word' && t.star === 'inner') throw bad('wildcards are only supported at the end of a term');
    const prefix = t.t === 'word' && t.star === 'end';
    const text = prefix ? t.text.slice(0, -1) : t.text;
    if (prefix && text.length === 0) throw bad('a wildcard (*) cannot begin a term');
    if (target.kind === 'flag') {
      if (prefix || (text !== 'true' && text !== 'false')) throw bad(`${field} is true or false`);
      return { op: 'eq', target, value: text === 'true' };
    }
    if (target.kind === 'number') {
      if (prefix || !/^\d{1,15}$/.test(text)) throw bad(`${field} is a whole number`);
      return { op: 'eq', target, value: Number(text) };
    }
    const value = target.kind === 'lower' ? text.toLowerCase() : text;
    return prefix ? { op: 'prefix', target, value } : { op: 'eq', target, value };
  }

  private range(target: SearchTarget, field: string): SearchNode {
    if (target.kind !== 'number') throw bad(`${field}: ranges are only supported on logins_count`);
    const open = this.tokens[this.i++] as Token;
    const lo = this.bound(field);
    if (!this.isKeyword(['TO'])) throw bad(`${field}: a range is [a TO b]`);
    this.i++;
    const hi = this.bound(field);
    const close = this.peek();
    if (close?.t !== ']' && close?.t !== '}') throw bad(`${field}: a range is [a TO b]`);
    this.i++;
    const node: SearchNode = { op: 'range', target };
    if (lo !== undefined) node[open.t === '[' ? 'gte' : 'gt'] = lo;
    if (hi !== undefined) node[close.t === ']' ? 'lte' : 'lt'] = hi;
    return node;
  }

  private bound(field: string): number | undefined {
    const t = this.peek();
    this.i++;
    if (t?.t === 'word' && !t.keyword && t.text === '*') return undefined;
    if (t?.t === 'word' && !t.keyword && /^\d{1,15}$/.test(t.text)) return Number(t.text);
    throw bad(`${field}: a range bound is a whole number or *`);
  }
}

/** Parses a `q` of GET /users; 400 `invalid_query_string` when it is not the supported subset. */
export function parseUserQuery(q: string): SearchNode {
  if (q.length > MAX_QUERY_LENGTH) throw bad(`the query is at most ${MAX_QUERY_LENGTH} characters`);
  if (q.includes('\u0000')) throw bad('the query must not contain NUL (U+0000)');
  const tokens = tokenize(q);
  if (tokens.length === 0) throw bad('the query is empty');
  return new Parser(tokens).parse();
}

/** Parses `sort` (`field:1` ascending, `field:-1` descending). */
export function parseUserSort(sort: string): { field: SortField; descending: boolean } {
  const m = /^([a-z_]+):(1|-1)$/.exec(sort);
  if (!m || !Object.hasOwn(SORT_COLUMNS, m[1] as string))
    throw managementErrors.invalidQuery(
      `Sort validation error: sort is <field>:1 or <field>:-1, field one of ${Object.keys(SORT_COLUMNS).join(', ')}`,
    );
  return { field: m[1] as SortField, descending: m[2] === '-1' };
}
