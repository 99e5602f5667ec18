/**
 * The trusted app's calls to Tessera, all from its backend: the browser never
 * talks to Tessera and never holds a token. Every token request authenticates
 * the app (client_secret_post) and names the end user's IP in
 * `auth0-forwarded-for`, which Tessera believes because the client is marked
 * `is_token_endpoint_ip_header_trusted`.
 */

const GRANT = {
  passwordRealm: 'http://auth0.com/oauth/grant-type/password-realm',
  mfaOtp: 'http://auth0.com/oauth/grant-type/mfa-otp',
  mfaOob: 'http://auth0.com/oauth/grant-type/mfa-oob',
  mfaRecovery: 'http://auth0.com/oauth/grant-type/mfa-recovery-code',
} as const;

/** Tessera answered with an error body (`error`, `error_description`, maybe more). */
export class TesseraError extends Error {
  override name = 'TesseraError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly body: Record<string, unknown>,
  ) {
    super(`${status} ${code}: ${description}`);
  }
}

/** Tessera could not be reached, or answered something that is not its JSON. */
export class TesseraUnavailable extends Error {
  override name = 'TesseraUnavailable';
}

export interface TokenSet {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  expires_in: number;
  token_type: string;
  scope?: string;
  /** The next recovery code, after the mfa-recovery-code grant. */
  recovery_code?: string;
}

export interface MfaRequirements {
  enroll?: { type: string }[];
  challenge?: { type: string }[];
}

export interface OtpEnrollment {
  authenticator_type: 'otp';
  secret: string;
  barcode_uri: string;
  recovery_codes?: string[];
}

export interface OobEnrollment {
  authenticator_type: 'oob';
  oob_channel: string;
  oob_code: string;
  binding_method?: string;
  recovery_codes?: string[];
}

export interface Authenticator {
  id: string;
  authenticator_type: string;
  active: boolean;
  oob_channel?: string;
  name?: string;
}

export interface TesseraClientOptions {
  /** Where Tessera listens, e.g. http://localhost:3000 (no trailing path). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export class TesseraClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: TesseraClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** One HTTP call; a non-2xx answer throws TesseraError, a network failure TesseraUnavailable. */
  private async call(path: string, init: RequestInit): Promise<unknown> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new TesseraUnavailable(`cannot reach Tessera at ${url}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new TesseraUnavailable(`Tessera answered ${res.status} with a body that is not JSON (${url})`);
    }
    if (!res.ok) {
      const b = isObject(body) ? body : {};
      throw new TesseraError(
        res.status,
        typeof b.error === 'string' ? b.error : 'server_error',
        typeof b.error_description === 'string' ? b.error_description : `HTTP ${res.status}`,
        b,
      );
    }
    return body;
  }

  private form(
    path: string,
    fields: Record<string, string | undefined>,
    headers: Record<string, string> = {},
  ) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.append(k, v);
    return this.call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
  }

  private json(path: string, payload: unknown, headers: Record<string, string> = {}) {
    return this.call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(payload),
    });
  }

  /** POST /oauth/token with the client's credentials and, when known, the end user's IP. */
  async token(fields: Record<string, string | undefined>, endUserIp?: string): Promise<TokenSet> {
    const body = await this.form(
      '/oauth/token',
      { ...fields, client_id: this.opts.clientId, client_secret: this.opts.clientSecret },
      endUserIp ? { 'auth0-forwarded-for': endUserIp } : {},
    );
    if (!isObject(body) || typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new TesseraUnavailable('Tessera answered a token request without an access token');
    }
    return body as unknown as TokenSet;
  }

  passwordRealm(
    p: { username: string; password: string; realm: string; audience: string; scope: string },
    endUserIp: string,
  ): Promise<TokenSet> {
    return this.token({ grant_type: GRANT.passwordRealm, ...p }, endUserIp);
  }

  refresh(refreshToken: string, endUserIp?: string): Promise<TokenSet> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, endUserIp);
  }

  mfaOtp(mfaToken: string, otp: string, endUserIp: string): Promise<TokenSet> {
    return this.token({ grant_type: GRANT.mfaOtp, mfa_token: mfaToken, otp }, endUserIp);
  }

  mfaOob(mfaToken: string, oobCode: string, bindingCode: string, endUserIp: string): Promise<TokenSet> {
    return this.token(
      { grant_type: GRANT.mfaOob, mfa_token: mfaToken, oob_code: oobCode, binding_code: bindingCode },
      endUserIp,
    );
  }

  mfaRecovery(mfaToken: string, recoveryCode: string, endUserIp: string): Promise<TokenSet> {
    return this.token(
      { grant_type: GRANT.mfaRecovery, mfa_token: mfaToken, recovery_code: recoveryCode },
      endUserIp,
    );
  }

  /** POST /mfa/associate with the mfa_token as the Bearer token. */
  async associate(
    mfaToken: string,
    req: { type: 'otp' } | { type: 'oob'; channel: 'email' | 'sms'; email?: string; phoneNumber?: string },
  ): Promise<OtpEnrollment | OobEnrollment> {
    const payload =
      req.type === 'otp'
        ? { authenticator_types: ['otp'] }
        : {
            authenticator_types: ['oob'],
            oob_channels: [req.channel],
            ...(req.email ? { email: req.email } : {}),
            ...(req.phoneNumber ? { phone_number: req.phoneNumber } : {}),
          };
    const body = await this.json('/mfa/associate', payload, { authorization: `Bearer ${mfaToken}` });
    if (!isObject(body)) throw new TesseraUnavailable('Tessera answered /mfa/associate without a body');
    return body as unknown as OtpEnrollment | OobEnrollment;
  }

  /** GET /mfa/authenticators with the mfa_token. */
  async authenticators(mfaToken: string): Promise<Authenticator[]> {
    const body = await this.call('/mfa/authenticators', {
      method: 'GET',
      headers: { authorization: `Bearer ${mfaToken}` },
    });
    return Array.isArray(body) ? (body as Authenticator[]) : [];
  }

  /** POST /mfa/challenge: for an SMS or email authenticator, sends a code and answers its oob_code. */
  async challenge(
    mfaToken: string,
    challengeType: 'otp' | 'oob',
    authenticatorId?: string,
  ): Promise<{ challenge_type: string; oob_code?: string; binding_method?: string }> {
    const body = await this.json('/mfa/challenge', {
      client_id: this.opts.clientId,
      client_secret: this.opts.clientSecret,
      mfa_token: mfaToken,
      challenge_type: challengeType,
      ...(authenticatorId ? { authenticator_id: authenticatorId } : {}),
    });
    if (!isObject(body)) throw new TesseraUnavailable('Tessera answered /mfa/challenge without a body');
    return body as { challenge_type: string; oob_code?: string; binding_method?: string };
  }

  /** GET /userinfo with the access token. */
  async userinfo(accessToken: string): Promise<Record<string, unknown>> {
    const body = await this.call('/userinfo', {
      method: 'GET',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return isObject(body) ? body : {};
  }

  /** POST /oauth/revoke: revokes the refresh token's whole family (200 even when unknown). */
  async revoke(refreshToken: string): Promise<void> {
    await this.json('/oauth/revoke', {
      client_id: this.opts.clientId,
      client_secret: this.opts.clientSecret,
      token: refreshToken,
    });
  }
}
