import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CodedError, errors } from '../errors/index.js';
import { Repeated } from '../oauth/params.js';
import { isText, safeText } from '../store/safe-text.js';

const fatal = new TextDecoder('utf-8', { fatal: true });

/** The length of the UTF-8 sequence a lead byte starts (0: not a lead byte). */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/**
 * Decodes UTF-8 without losing the fact that it was not: each byte outside
 * a valid sequence becomes a lone surrogate (U+DC80–U+DCFF, Python's
 * "surrogateescape"), which the input check then finds and names, as it
 * does a `"\ud800"` sent in JSON.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      const n = sequenceLength(bytes[i]!);
      if (n > 0 && i + n <= bytes.length) {
        try {
          out += fatal.decode(bytes.subarray(i, i + n));
          i += n;
          continue;
        } catch {
          // not a valid sequence: escape its first byte below
        }
      }
      out += String.fromCharCode(0xdc00 | bytes[i]!);
      i += 1;
    }
    return out;
  }
}

const hex = (c: number) =>
  c >= 0x30 && c <= 0x39
    ? c - 0x30
    : c >= 0x41 && c <= 0x46
      ? c - 0x37
      : c >= 0x61 && c <= 0x66
        ? c - 0x57
        : -1;

/** One name or value of a form: `+` is a space, `%XX` a byte (a bad escape stays as it is), then UTF-8. */
function formComponent(bytes: Uint8Array): string {
  // Most names and values hold neither: nothing to rewrite, decode the bytes in place.
  if (bytes.indexOf(0x25) < 0 && bytes.indexOf(0x2b) < 0) return decodeUtf8(bytes);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x2b) out[n++] = 0x20;
    else if (c === 0x25 && i + 2 < bytes.length && hex(bytes[i + 1]!) >= 0 && hex(bytes[i + 2]!) >= 0) {
      out[n++] = hex(bytes[i + 1]!) * 16 + hex(bytes[i + 2]!);
      i += 2;
    } else out[n++] = c;
  }
  return decodeUtf8(out.subarray(0, n));
}

/**
 * Parses an application/x-www-form-urlencoded body (or a query string) into
 * an object without a prototype; a repeated name becomes `Repeated`
 * (rejected by Params). Invalid UTF-8 is kept detectable (see decodeUtf8).
 */
export function parseForm(body: Buffer | string): Record<string, string | Repeated> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const out: Record<string, string | Repeated> = Object.create(null);
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x26, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      const pair = bytes.subarray(start, end);
      const eq = pair.indexOf(0x3d);
      const k = formComponent(eq < 0 ? pair : pair.subarray(0, eq));
      const v = eq < 0 ? '' : formComponent(pair.subarray(eq + 1));
      const prev = out[k];
      if (prev === undefined) out[k] = v;
      else out[k] = new Repeated(prev instanceof Repeated ? [...prev.values, v] : [prev, v]);
    }
    start = end + 1;
  }
  return out;
}

/** What the input check found: the first parameter or header that is not text. */
export interface InvalidInput {
  kind: 'parameter' | 'header';
  /** Its name, made safe to show. */
  name: string;
  error: CodedError;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Records a request refused by the input check (the token endpoint's attempts). */
    onInvalidInput?: (request: FastifyRequest, bad: InvalidInput) => Promise<void>;
  }
}

function holdsText(v: unknown): boolean {
  if (typeof v === 'string') return isText(v);
  if (v instanceof Repeated) return v.values.every(isText);
  if (Array.isArray(v)) return v.every(holdsText);
  if (v && typeof v === 'object') return Object.entries(v).every(([k, x]) => isText(k) && holdsText(x));
  return true;
}

function firstBadName(values: unknown): string | undefined {
  if (!values || typeof values !== 'object') return undefined;
  for (const [k, v] of Object.entries(values)) if (!isText(k) || !holdsText(v)) return safeText(k, 100);
  return undefined;
}

const PLAIN_HEADER = /^[\t\x20-\x7e]*$/;

/**
 * A header value is text when its bytes (Node hands them over one per
 * character) are UTF-8 without NUL. Values above U+00FF only come from
 * in-process requests and are judged as text.
 */
function isHeaderText(v: string): boolean {
  if (PLAIN_HEADER.test(v)) return true;
  if (v.includes('\0')) return false;
  if (/[\u0100-\uffff]/.test(v)) return v.isWellFormed();
  try {
    fatal.decode(Buffer.from(v, 'latin1'));
    return true;
  } catch {
    return false;
  }
}

/** The catalogue's answer for a parameter or header that is not text. */
export function notText(kind: InvalidInput['kind'], name: string): InvalidInput {
  return { kind, name, error: errors.notText(kind, name) };
}

/** The first header, path parameter, query or body parameter of a request that is not text. */
export function findInvalidInput(request: FastifyRequest): InvalidInput | undefined {
  for (const [k, v] of Object.entries(request.headers)) {
    const values = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    if (!values.every(isHeaderText)) return notText('header', safeText(k, 100));
  }
  for (const source of [request.params, request.query, request.body]) {
    const name = firstBadName(source);
    if (name !== undefined) return notText('parameter', name);
  }
  return undefined;
}

/**
 * Reads forms and JSON so that invalid UTF-8 stays visible, and refuses, on
 * every route before its handler, a request with NUL or invalid UTF-8 in any
 * header or parameter: 400 `invalid_request` naming it. Nothing downstream
 * (the databases above all: PostgreSQL refuses NUL) sees such text. A route
 * may record the refusal (`config.onInvalidInput`).
 */
export function installInputCheck(app: FastifyInstance, opts: { bodyLimit: number }): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: opts.bodyLimit },
    (_request, body, done) => done(null, parseForm(body as Buffer)),
  );
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: opts.bodyLimit },
    (request, body, done) => json(request, decodeUtf8(body as Buffer), done),
  );
  app.addHook('preHandler', async (request) => {
    const bad = findInvalidInput(request);
    if (!bad) return;
    await request.routeOptions.config.onInvalidInput?.(request, bad);
    throw bad.error;
  });
}
