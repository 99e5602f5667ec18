import { connectionForRealm, defaultConnection } from '../realm.js';
import { passwordLogin } from './password-login.js';
import type { Grant } from './types.js';

/**
 * `grant_type=password` (RFC 6749 §4.3): the tenant's default directory, or
 * the `realm` parameter when sent (Auth0's current SDK sends it with this
 * grant; checking any other directory than the one asked for would be a bug).
 */
export const passwordGrant: Grant = {
  grantType: 'password',
  parameters: new Set(['username', 'password', 'realm', 'audience', 'scope']),
  hashesPassword: true,
  failureEvent: 'fepft',
  async handle(req) {
    const realm = req.params.optional('realm');
    const connection = realm
      ? await connectionForRealm(req.rt, req.client, realm)
      : await defaultConnection(req.rt, req.client);
    return passwordLogin(req, connection);
  },
};
