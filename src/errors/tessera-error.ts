/**
 * The base of every error Tessera throws on purpose: a stable internal `code`
 * (as jose's `ERR_JWT_EXPIRED`), a human text, and no wire format. Each edge
 * (OAuth JSON in `http/oauth-wire.ts`, `/dbconnections` JSON, the pages, later
 * the Management API) maps the code once to its own shape.
 */
export interface TesseraErrorOptions {
  /** Internal only: logs and the audit log, never a response. */
  detail?: string;
  /** What an edge needs besides the text (a wait, a scope, an mfa_token…). */
  params?: Record<string, unknown>;
  cause?: unknown;
}

export class TesseraError<C extends string = string> extends Error {
  override name = 'TesseraError';
  readonly detail: string | undefined;
  readonly params: Record<string, unknown>;
  constructor(
    readonly code: C,
    message: string,
    options: TesseraErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options.detail;
    this.params = options.params ?? {};
  }
}
