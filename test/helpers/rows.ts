import type { BlockRow } from '../../src/store/repos/blocks.js';

/** A live refresh token row of `userId` (client acme-web, connection con_customers), made at `at`. */
export function refreshTokenRow(id: string, userId: string, at: number) {
  return {
    id,
    token_hash: `hash-${id}`,
    family_id: `fam-${id}`,
    client_id: 'acme-web',
    user_id: userId,
    connection_id: 'con_customers',
    audience: null,
    scope: 'openid offline_access',
    created_at: at,
    family_created_at: at,
    last_used_at: at,
    expires_at: null,
    idle_expires_at: null,
    rotated_at: null,
    replaced_by: null,
    revoked_at: null,
  };
}

/** A brute-force block in force (alice in con_customers unless `extra` says otherwise), made at `at`. */
export function blockRow(id: string, at: number, extra: Partial<BlockRow> = {}): BlockRow {
  return {
    id,
    kind: 'user',
    connection_id: 'con_customers',
    identifier: 'alice@example.com',
    user_id: 'auth0|alice',
    ip: null,
    attempts: 10,
    created_at: at,
    updated_at: at,
    expires_at: null,
    lifted_at: null,
    notified_at: null,
    ...extra,
  };
}
