import { connectionForRealm } from '../realm.js';
import { passwordLogin } from './password-login.js';
import type { Grant } from './types.js';

/** Auth0's extension grant: the password grant against the directory named by `realm`. */
export const passwordRealmGrant: Grant = {
  grantType: 'http://auth0.com/oauth/grant-type/password-realm',
  parameters: new Set(['username', 'password', 'realm', 'audience', 'scope']),
  hashesPassword: true,
  failureEvent: 'fepft',
  async handle(req) {
    const connection = await connectionForRealm(req.rt, req.client, req.params.required('realm'));
    return passwordLogin(req, connection);
  },
};
