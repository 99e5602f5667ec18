/**
 * The trusted app's client of Tessera: the `auth0` SDK (v4), configured as
 * for Auth0. The browser never talks to Tessera and never holds a token: the
 * app's backend calls it with the SDK's `AuthenticationClient` (password-realm,
 * refresh, revoke) and `UserInfoClient`, authenticating as a confidential
 * client (client_secret_post) and naming the end user's IP in
 * `auth0-forwarded-for` (Tessera believes it: the client is marked
 * `is_token_endpoint_ip_header_trusted`).
 *
 * Two things the SDK cannot do, each filled in below with the SDK's own parts:
 *
 * - Plain HTTP. The SDK only builds `https://${domain}` URLs and checks ID
 *   tokens against the issuer `https://${domain}/`; the demo runs Tessera on
 *   http://localhost:3000. Against an HTTPS Tessera whose issuer is
 *   `https://${domain}/`, `{ domain, clientId, clientSecret }` is all it takes;
 *   over HTTP a custom `fetch` (an SDK option) sends the SDK's requests to
 *   Tessera's real address, and the ID token is checked against the issuer
 *   and keys Tessera publishes in its discovery document.
 * - MFA. auth0@4 has no client for Auth0's MFA API (`/mfa/associate`,
 *   `/mfa/authenticators`, `/mfa/challenge`) nor the `mfa-otp`, `mfa-oob` and
 *   `mfa-recovery-code` grants. `MfaClient` extends the SDK's `OAuth` class,
 *   so those calls share its transport, its client authentication and its
 *   errors (`AuthApiError`).
 */
import {
  AuthApiError,
  AuthenticationClient,
  type AuthenticationClientOptions,
  type InitOverrideFunction,
  JSONApiResponse,
  OAuth,
  type TokenSet as SdkTokenSet,
  UserInfoClient,
} from 'auth0';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export { AuthApiError };

/** The token endpoint's answer, with the fields Tessera (like Auth0) adds. */
export type TokenSet = SdkTokenSet & { scope?: string; recovery_code?: string };

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

const GRANT = {
  mfaOtp: 'http://auth0.com/oauth/grant-type/mfa-otp',
  mfaOob: 'http://auth0.com/oauth/grant-type/mfa-oob',
  mfaRecovery: 'http://auth0.com/oauth/grant-type/mfa-recovery-code',
} as const;

/** The end user's IP in `auth0-forwarded-for`, the SDK's documented way (initOverrides). */
export function forwardedFor(ip: string | undefined): { initOverrides?: InitOverrideFunction } {
  if (!ip) return {};
  return {
    initOverrides: async ({ init }) => ({
      headers: { ...(init.headers as Record<string, string>), 'auth0-forwarded-for': ip },
    }),
  };
}

/**
 * Auth0's MFA API, which auth0@4 lacks, on the SDK's own `OAuth` class:
 * same requests, same client authentication, same `AuthApiError`s.
 */
export class MfaClient extends OAuth {
  private async mfaGrant(grantType: string, fields: Record<string, string>, ip: string): Promise<TokenSet> {
    const body = await this.addClientAuthentication({ client_id: this.clientId, ...fields });
    const response = await this.request(
      {
        path: '/oauth/token',
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...(body as Record<string, string>), grant_type: grantType }),
      },
      forwardedFor(ip).initOverrides,
    );
    const { data } = await JSONApiResponse.fromResponse<TokenSet>(response);
    if (data.id_token) await this.idTokenValidator.validate(data.id_token);
    return data;
  }

  otpGrant(mfaToken: string, otp: string, ip: string): Promise<TokenSet> {
    return this.mfaGrant(GRANT.mfaOtp, { mfa_token: mfaToken, otp }, ip);
  }

  oobGrant(mfaToken: string, oobCode: string, bindingCode: string, ip: string): Promise<TokenSet> {
    return this.mfaGrant(
      GRANT.mfaOob,
      { mfa_token: mfaToken, oob_code: oobCode, binding_code: bindingCode },
      ip,
    );
  }

  recoveryCodeGrant(mfaToken: string, recoveryCode: string, ip: string): Promise<TokenSet> {
    return this.mfaGrant(GRANT.mfaRecovery, { mfa_token: mfaToken, recovery_code: recoveryCode }, ip);
  }

  /** POST /mfa/associate with the mfa_token as the Bearer token. */
  async associate(
    mfaToken: string,
    req: { type: 'otp' } | { type: 'oob'; channel: 'email' | 'sms'; email?: string; phoneNumber?: string },
  ): Promise<OtpEnrollment | OobEnrollment> {
    const body =
      req.type === 'otp'
        ? { authenticator_types: ['otp'] }
        : {
            authenticator_types: ['oob'],
            oob_channels: [req.channel],
            ...(req.email ? { email: req.email } : {}),
            ...(req.phoneNumber ? { phone_number: req.phoneNumber } : {}),
          };
    const response = await this.request({
      path: '/mfa/associate',
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${mfaToken}` },
      body,
    });
    return (await JSONApiResponse.fromResponse<OtpEnrollment | OobEnrollment>(response)).data;
  }

  /** GET /mfa/authenticators with the mfa_token. */
  async authenticators(mfaToken: string): Promise<Authenticator[]> {
    const response = await this.request({
      path: '/mfa/authenticators',
      method: 'GET',
      headers: { Authorization: `Bearer ${mfaToken}` },
    });
    const { data } = await JSONApiResponse.fromResponse<unknown>(response);
    return Array.isArray(data) ? (data as Authenticator[]) : [];
  }

  /** POST /mfa/challenge: for an SMS or email authenticator, sends a code and answers its oob_code. */
  async challenge(
    mfaToken: string,
    challengeType: 'otp' | 'oob',
    authenticatorId?: string,
  ): Promise<{ challenge_type: string; oob_code?: string; binding_method?: string }> {
    const body = await this.addClientAuthentication({
      client_id: this.clientId,
      mfa_token: mfaToken,
      challenge_type: challengeType,
      ...(authenticatorId ? { authenticator_id: authenticatorId } : {}),
    });
    const response = await this.request({
      path: '/mfa/challenge',
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    return (await JSONApiResponse.fromResponse<{ challenge_type: string; oob_code?: string }>(response)).data;
  }
}

export interface TesseraClients {
  auth: AuthenticationClient;
  mfa: MfaClient;
  userInfo: UserInfoClient;
}

/**
 * The ID token check for a plain-HTTP Tessera, in place of the SDK's (which
 * expects `https://${domain}/`): the issuer and JWKS that Tessera's discovery
 * document names (its JWKS fetched from the address the app reaches Tessera
 * at), audience = this client, RS256 — the SDK's own checks otherwise.
 */
function httpIdTokenValidator(base: string, clientId: string) {
  let discovered: Promise<{ issuer: string; jwks: ReturnType<typeof createRemoteJWKSet> }> | undefined;
  const discover = async () => {
    const res = await fetch(`${base}/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`Tessera's discovery document answered HTTP ${res.status}`);
    const { issuer } = (await res.json()) as { issuer: string };
    return { issuer, jwks: createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)) };
  };
  return {
    async validate(idToken: string): Promise<void> {
      discovered ??= discover().catch((err) => {
        discovered = undefined;
        throw err;
      });
      const { issuer, jwks } = await discovered;
      await jwtVerify(idToken, jwks, {
        issuer,
        audience: clientId,
        algorithms: ['RS256'],
        clockTolerance: 60,
      });
    },
  };
}

/** The SDK's clients for the Tessera at `tesseraUrl` (e.g. https://auth.acme.test or http://localhost:3000). */
export function tesseraClients(opts: {
  tesseraUrl: string;
  clientId: string;
  clientSecret: string;
}): TesseraClients {
  const url = new URL(opts.tesseraUrl);
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  const options: AuthenticationClientOptions = {
    domain: url.host,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
  };
  if (url.protocol === 'http:') {
    // The SDK's requests all go to https://${domain}: send them to Tessera's real address.
    const sdkBase = `https://${url.host}`;
    options.fetch = (input, init) => {
      const target = String(input instanceof Request ? input.url : input);
      return fetch(target.startsWith(sdkBase) ? base + target.slice(sdkBase.length) : target, init);
    };
  }
  const auth = new AuthenticationClient(options);
  const mfa = new MfaClient(options);
  if (url.protocol === 'http:') {
    const validator = httpIdTokenValidator(base, opts.clientId);
    for (const oauth of [auth.oauth, mfa])
      Object.assign(oauth.idTokenValidator, { validate: validator.validate });
  }
  return { auth, mfa, userInfo: new UserInfoClient(options) };
}

/** Tessera's error answer (status, `error`, `error_description`), or undefined for any other failure. */
export function tesseraError(
  err: unknown,
): { status: number; code: string; description: string } | undefined {
  if (err instanceof AuthApiError) {
    return { status: err.statusCode, code: err.error ?? '', description: err.error_description ?? '' };
  }
  return undefined;
}

/** The JSON body of an SDK error (the `mfa_required` answer carries the mfa_token there). */
export function errorBody(err: unknown): Record<string, unknown> {
  if (!(err instanceof AuthApiError)) return {};
  try {
    const body = JSON.parse(err.body) as unknown;
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
