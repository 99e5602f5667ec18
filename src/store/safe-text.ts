declare global {
  interface String {
    /** ES2024, in Node 20: false when the string holds a lone surrogate. */
    isWellFormed(): boolean;
    /** ES2024, in Node 20: lone surrogates replaced by U+FFFD. */
    toWellFormed(): string;
  }
}

/**
 * Text that every database stores as it is: well-formed Unicode (no lone
 * surrogates, which also stand for undecodable bytes) without NUL, which
 * PostgreSQL refuses in text. Request input is held to this at the edge.
 */
export function isText(s: string): boolean {
  return !s.includes('\0') && s.isWellFormed();
}

/** The text made safe to store and show: NUL and lone surrogates become U+FFFD; cut to `max` UTF-16 units. */
export function safeText(s: string, max?: number): string {
  const cut = max !== undefined && s.length > max ? s.slice(0, max) : s;
  return cut.replaceAll('\0', '\uFFFD').toWellFormed();
}

/** A JSON-like value with every string (and key) made safe. */
export function safeValue(v: unknown): unknown {
  if (typeof v === 'string') return safeText(v);
  if (Array.isArray(v)) return v.map(safeValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[safeText(k)] = safeValue(x);
    return out;
  }
  return v;
}
