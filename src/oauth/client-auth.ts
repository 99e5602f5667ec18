import type { Params } from './params.js';
import type { Runtime } from '../runtime.js';
import { type Client, findClient } from '../store/repos/clients.js';
import { isText } from '../store/safe-text.js';
import { verifyClientSecret } from '../tokens/client-secret.js';
import { errors } from '../errors/index.js';

export interface ClientAuthResult {
  client: Client;
  /** How the client proved itself; `none` for a public client. */
  method: 'none' | 'client_secret_post' | 'client_secret_basic';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads `Authorization: Basic` credentials (RFC 6749 §2.3.1: form-encoded id and secret). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(m[1]!, 'base64'));
  } catch {
    throw errors.notText('header', 'authorization');
  }
  const i = decoded.indexOf(':');
  if (i < 0)
    throw errors.invalidRequest(
      'Malformed Authorization header: expected Basic base64(client_id:client_secret)',
    );
  let credentials: { id: string; secret: string };
  try {
    credentials = {
      id: decodeURIComponent(decoded.slice(0, i)),
      secret: decodeURIComponent(decoded.slice(i + 1)),
    };
  } catch {
    throw errors.invalidRequest('Malformed Authorization header: credentials are not form-encoded');
  }
  // Like every header and parameter (see http/params): text, or a 400 naming it.
  if (!isText(decoded) || !isText(credentials.id) || !isText(credentials.secret))
    throw errors.notText('header', 'authorization');
  return credentials;
}

/**
 * Authenticates the client of a token-endpoint request: `client_secret_basic`,
 * `client_secret_post`, or none for a public client. Any failure answers
 * 401 `access_denied` / `Unauthorized` (Auth0's token endpoint), or 401
 * `invalid_client` when asked (revocation, introspection), whichever part
 * was wrong.
 */
export async function authenticateClient(
  rt: Runtime,
  params: Params,
  authorization: string | undefined,
  opts: { failure?: 'access_denied' | 'invalid_client' } = {},
): Promise<ClientAuthResult> {
  const fail = opts.failure === 'invalid_client' ? errors.invalidClient : errors.clientAuthFailed;
  const basic = basicCredentials(authorization);
  const bodyId = params.optional('client_id');
  const bodySecret = params.optional('client_secret');
  if (basic && bodySecret !== undefined) {
    throw errors.invalidRequest(
      'Use only one client authentication method: HTTP Basic or client_secret in the body',
    );
  }
  if (basic && bodyId !== undefined && bodyId !== basic.id) {
    throw errors.invalidRequest('client_id in the body does not match the HTTP Basic credentials');
  }
  const clientId = basic?.id ?? bodyId;
  if (clientId === undefined) throw errors.missingParameter('client_id');
  const secret = basic?.secret ?? bodySecret;

  const record = await findClient(rt.store.db, clientId);
  if (!record) throw fail(`unknown client_id ${clientId}`);
  const { client, secretHash } = record;
  if (client.token_endpoint_auth_method === 'none') {
    if (secret !== undefined) throw fail(`public client ${clientId} sent a secret`);
    return { client, method: 'none' };
  }
  if (secret === undefined || !secretHash) throw fail(`client ${clientId} sent no secret`);
  if (!verifyClientSecret(secretHash, secret)) throw fail(`wrong secret for client ${clientId}`);
  return { client, method: basic ? 'client_secret_basic' : 'client_secret_post' };
}
