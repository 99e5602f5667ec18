import { recordEvent } from '../../events/log.js';
import { getSetting } from '../../store/repos/settings.js';
import { resolveAudience } from '../audience.js';
import { CodedError, errors } from '../../errors/index.js';
import { parseScope } from '../../tokens/scopes.js';
import { orderResponse, signAccessToken, type TokenResponse } from '../../tokens/tokens.js';
import type { Grant, GrantRequest } from './types.js';

/** A tenant file `clientGrants` entry (Auth0's shape): what a machine client may ask of an API. */
export interface ClientGrant {
  client_id: string;
  audience: string;
  scope: string[];
}

/**
 * `grant_type=client_credentials` (RFC 6749 §4.4) for machine-to-machine
 * clients: an access token with `sub` `<client_id>@clients` for an API the
 * client has a client grant for, with the granted scopes (all of them when
 * none is asked for).
 */
export const clientCredentialsGrant: Grant = {
  grantType: 'client_credentials',
  parameters: new Set(['audience', 'scope']),
  failureEvent: 'feccft',
  async handle(req) {
    try {
      const response = await issue(req);
      await record(req, 'seccft', null);
      return response;
    } catch (err) {
      if (err instanceof CodedError) await record(req, 'feccft', err.message);
      throw err;
    }
  },
};

async function issue(req: GrantRequest): Promise<TokenResponse> {
  const { rt, client, params } = req;
  if (client.token_endpoint_auth_method === 'none') throw errors.unauthorizedClient('client_credentials');
  const api = await resolveAudience(rt, params.optional('audience'));
  if (!api) {
    throw errors.accessDenied(
      'No audience parameter was provided, and no default audience has been configured',
    );
  }
  const grants = (await getSetting<ClientGrant[]>(rt.store.db, 'clientGrants')) ?? [];
  const grant = grants.find((g) => g.client_id === client.client_id && g.audience === api.identifier);
  if (!grant) {
    throw errors.accessDenied(
      `Client is not authorized to access "${api.identifier}". You need to create a "client-grant" associated to this API.`,
    );
  }
  const requested = parseScope(params.optional('scope'));
  const missing = requested.filter((s) => !grant.scope.includes(s));
  if (missing.length > 0)
    throw errors.accessDenied(`Client has not been granted scopes: ${missing.join(', ')}`);
  const scopes = requested.length > 0 ? requested : [...grant.scope];
  const access = await signAccessToken(rt, {
    sub: `${client.client_id}@clients`,
    azp: client.client_id,
    api,
    scopes,
    gty: 'client-credentials',
  });
  return orderResponse({
    access_token: access.token,
    scope: scopes.join(' '),
    expires_in: access.expiresIn,
    token_type: 'Bearer',
  });
}

function record(req: GrantRequest, type: 'seccft' | 'feccft', description: string | null) {
  let audience: string | null = null;
  try {
    audience = req.params.optional('audience') ?? null;
  } catch {
    // A malformed audience is what failed; the event still gets written.
  }
  return recordEvent(req.rt, {
    type,
    description,
    client_id: req.client.client_id,
    client_name: req.client.name,
    ip: req.request.ip,
    user_agent: req.request.userAgent ?? null,
    details: { audience },
  });
}
