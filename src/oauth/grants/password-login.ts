import { passwordLoginContext } from '../../login/build.js';
import { runLogin } from '../../login/pipeline.js';
import type { Connection } from '../../store/repos/connections.js';
import { forUserLogin, resolveAudience } from '../audience.js';
import { decideScopes } from '../scopes.js';
import { parseScope } from '../../tokens/scopes.js';
import type { TokenResponse } from '../../tokens/tokens.js';
import type { GrantRequest } from './types.js';

/**
 * What the two password grants share once the connection is known: read
 * the credentials, decide audience and scopes, and run the login pipeline.
 */
export async function passwordLogin(req: GrantRequest, connection: Connection): Promise<TokenResponse> {
  const { rt, client, params } = req;
  const username = params.required('username');
  const password = params.required('password');
  const api = forUserLogin(await resolveAudience(rt, params.optional('audience')));
  const requestedScopes = parseScope(params.optional('scope'));
  // A refresh token needs the client's refresh_token grant and an API that
  // allows offline access (a /userinfo-only token needs no API's consent).
  const allowOffline =
    client.grant_types.includes('refresh_token') && (!api || api.allow_offline_access === true);
  const { granted, differs } = decideScopes(requestedScopes, api, { allowOffline });
  // Refused here (503) when the hash pool is too far behind: before attack protection counts anything.
  const ticket = rt.admission.admit(req.arrivedAt, req.request.clientGone);
  try {
    return await runLogin(
      passwordLoginContext(req, {
        grantType: params.required('grant_type'),
        connection,
        username,
        password,
        hashQueue: ticket.run,
        api,
        requestedScopes,
        scopes: granted,
        echoScope: differs,
      }),
    );
  } finally {
    ticket.release();
  }
}
