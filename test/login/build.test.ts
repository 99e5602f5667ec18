import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  passwordLoginContext,
  refreshLoginContext,
  restoredLogin,
  snapshotLogin,
} from '../../src/login/build.js';
import type { LoginContext } from '../../src/login/context.js';
import type { HashQueue } from '../../src/login-types/context.js';
import type { LoginSnapshot } from '../../src/login-types/snapshot.js';
import type { Runtime } from '../../src/runtime.js';
import type { Client } from '../../src/store/repos/clients.js';
import type { Connection } from '../../src/store/repos/connections.js';
import type { ResourceServer } from '../../src/store/repos/resource-servers.js';
import type { UserWithSecret } from '../../src/store/repos/users.js';

/**
 * The one login-context builder (src/login/build.ts) gives the fields each
 * entrance used to build by hand: the password grant, the MFA grants
 * resuming a paused login, and the refresh grant. The expected objects are
 * the old hand-written literals.
 */
const rt = { marker: 'runtime' } as unknown as Runtime;
const client = { client_id: 'acme-web', name: 'Acme Web', grant_types: ['password'] } as unknown as Client;
const connection = { id: 'con_default', name: 'Username-Password-Authentication' } as unknown as Connection;
const api = { id: 'api_1', identifier: 'https://api.acme.test/orders' } as unknown as ResourceServer;
const request = { ip: '203.0.113.7', clientIp: '127.0.0.1', userAgent: 'ua/1', body: { username: 'a' } };
const row: UserWithSecret = {
  user_id: 'auth0|alice',
  connection_id: 'con_default',
  email: 'alice@acme.test',
  username: null,
  email_verified: true,
  blocked: false,
  profile: {},
  app_metadata: { plan: 'gold' },
  user_metadata: {},
  logins_count: 3,
  last_login: null,
  created_at: 1,
  updated_at: 2,
  password_hash: '$argon2id$secret',
};
const { password_hash: _hash, ...publicUser } = row;

describe('login context builder', () => {
  it('a password login gives the context the password grant built', () => {
    const hashQueue: HashQueue = (hash) => hash();
    const ctx = passwordLoginContext(
      { rt, client, request },
      {
        grantType: 'http://auth0.com/oauth/grant-type/password-realm',
        connection,
        username: 'alice@acme.test',
        password: 'pw',
        hashQueue,
        api,
        requestedScopes: ['openid', 'offline_access', 'read:x'],
        scopes: ['openid', 'offline_access'],
        echoScope: true,
      },
    );
    assert.deepEqual(ctx, {
      rt,
      client,
      grantType: 'http://auth0.com/oauth/grant-type/password-realm',
      protocol: 'oauth2-password',
      request,
      connection,
      username: 'alice@acme.test',
      password: 'pw',
      hashQueue,
      api,
      requestedScopes: ['openid', 'offline_access', 'read:x'],
      scopes: ['openid', 'offline_access'],
      echoScope: true,
      accessTokenClaims: {},
      idTokenClaims: {},
      gty: 'password',
      refresh: { mode: 'new' },
      successEvent: 'sepft',
      failureEvent: 'fepft',
    } satisfies LoginContext);
  });

  it('a password login without offline_access starts no refresh-token family', () => {
    const ctx = passwordLoginContext(
      { rt, client, request },
      {
        grantType: 'password',
        connection,
        username: 'alice@acme.test',
        password: 'pw',
        api: undefined,
        requestedScopes: [],
        scopes: ['openid'],
        echoScope: false,
      },
    );
    assert.equal(ctx.refresh, undefined);
    assert.equal(ctx.api, undefined);
  });

  it('a login paused for MFA is snapshot as the transaction stored it, and restored as resumed', () => {
    // A login as it stands when mfa.decide pauses it: the user known, the rules' effects applied.
    const paused: LoginContext = {
      ...passwordLoginContext(
        { rt, client, request },
        {
          grantType: 'password',
          connection,
          username: 'alice@acme.test',
          password: 'pw',
          api,
          requestedScopes: ['openid', 'offline_access'],
          scopes: ['openid', 'offline_access'],
          echoScope: false,
        },
      ),
      password: undefined,
      user: { ...publicUser, logins_count: 4 },
      accessTokenClaims: { 'https://acme/plan': 'gold' },
      idTokenClaims: { nickname: 'al' },
      metadataPatch: { user_metadata: { seen: true } },
    };
    const snap = snapshotLogin(paused);
    const stored: LoginSnapshot = {
      userId: 'auth0|alice',
      clientId: 'acme-web',
      connectionId: 'con_default',
      audience: 'https://api.acme.test/orders',
      grantType: 'password',
      requestedScopes: ['openid', 'offline_access'],
      scopes: ['openid', 'offline_access'],
      echoScope: false,
      refresh: true,
      accessTokenClaims: { 'https://acme/plan': 'gold' },
      idTokenClaims: { nickname: 'al' },
      username: 'alice@acme.test',
      metadataPatch: { user_metadata: { seen: true } },
    };
    // Same fields in the same order: the stored JSON is unchanged.
    assert.equal(JSON.stringify(snap), JSON.stringify(stored));
    assert.equal(JSON.stringify(snap).includes('pw'), false);

    const resumeRequest = { ip: '198.51.100.1', clientIp: '198.51.100.1', body: {} };
    const restored = restoredLogin(
      { rt, client, request: resumeRequest },
      JSON.parse(JSON.stringify(snap)) as LoginSnapshot,
      { user: row, connection, api },
      { success: 'seotpft', failure: 'feotpft' },
    );
    assert.deepEqual(restored, {
      rt,
      client,
      grantType: 'password',
      protocol: 'oauth2-password',
      request: resumeRequest,
      connection,
      username: 'alice@acme.test',
      api,
      requestedScopes: ['openid', 'offline_access'],
      scopes: ['openid', 'offline_access'],
      echoScope: false,
      user: publicUser,
      accessTokenClaims: { 'https://acme/plan': 'gold' },
      idTokenClaims: { nickname: 'al' },
      metadataPatch: { user_metadata: { seen: true } },
      gty: 'password',
      mfa: true,
      refresh: { mode: 'new' },
      successEvent: 'seotpft',
      failureEvent: 'feotpft',
    } satisfies LoginContext);
    assert.equal('password_hash' in restored.user!, false);
  });

  it('a snapshot without metadata or refresh restores without them', () => {
    const paused: LoginContext = {
      ...passwordLoginContext(
        { rt, client, request },
        {
          grantType: 'password',
          connection,
          username: 'alice@acme.test',
          password: 'pw',
          api: undefined,
          requestedScopes: [],
          scopes: ['openid'],
          echoScope: false,
        },
      ),
      user: publicUser,
    };
    const snap = snapshotLogin(paused);
    assert.equal('metadataPatch' in snap, false);
    assert.equal(snap.refresh, false);
    assert.equal(snap.audience, null);
    const restored = restoredLogin(
      { rt, client, request },
      snap,
      { user: row, connection, api: undefined },
      {
        success: 'sercft',
        failure: 'fercft',
      },
    );
    assert.equal(restored.refresh, undefined);
    assert.equal(restored.metadataPatch, undefined);
  });

  it('a refresh gives the context the refresh grant built', () => {
    const ticket = { redeem: async () => 'successor' };
    const ctx = refreshLoginContext(
      { rt, client, request },
      { ticket, user: row, connection, api, requestedScopes: ['openid'], scopes: ['openid'] },
    );
    assert.deepEqual(ctx, {
      rt,
      client,
      grantType: 'refresh_token',
      protocol: 'oauth2-refresh-token',
      request,
      connection,
      username: 'alice@acme.test',
      api,
      requestedScopes: ['openid'],
      scopes: ['openid'],
      echoScope: false,
      user: publicUser,
      accessTokenClaims: {},
      idTokenClaims: {},
      gty: ['refresh_token', 'password'],
      refresh: { mode: 'redeem', ticket },
      successEvent: 'sertft',
      failureEvent: 'fertft',
    } satisfies LoginContext);
  });

  it('a refresh without scope echoes the family scopes, and names a user without email by username or id', () => {
    const ticket = { redeem: async () => undefined };
    const byName = refreshLoginContext(
      { rt, client, request },
      {
        ticket,
        user: { ...row, email: null, username: 'al' },
        connection,
        api: undefined,
        requestedScopes: [],
        scopes: ['openid', 'offline_access'],
      },
    );
    assert.equal(byName.username, 'al');
    assert.equal(byName.echoScope, true);
    const byId = refreshLoginContext(
      { rt, client, request },
      { ticket, user: { ...row, email: null }, connection, api: undefined, requestedScopes: [], scopes: [] },
    );
    assert.equal(byId.username, 'auth0|alice');
    assert.equal(byId.echoScope, false);
  });
});
