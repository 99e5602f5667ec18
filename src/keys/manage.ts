import { managementErrors } from '../errors/index.js';
import type { Store } from '../store/db.js';
import { revokeSigningKeyRow } from '../store/repos/keys.js';
import { type KeyStore, keyState, type SigningKey } from './keystore.js';
import { DEFAULT_ROTATION_DELAY_S, longestTokenLifetimeMs } from './rotation.js';

/**
 * Signing keys as the Management API shows them (`GET /keys/signing`,
 * Auth0's fields): `current` signs now, `next` is published and signs
 * later, `previous` is retired but still published, `revoked` verifies
 * nothing any more. `cert` is the public key in PEM (Tessera has no
 * certificates); `fingerprint` and `thumbprint` are the JWK thumbprint.
 */
export function signingKeyView(k: SigningKey, now: number) {
  const state = keyState(k, now);
  const pem = k.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    kid: k.kid,
    cert: pem,
    fingerprint: k.kid,
    thumbprint: k.kid,
    current: state === 'active',
    next: state === 'pending',
    previous: state === 'retired',
    revoked: state === 'dropped',
    current_since: new Date(k.activatesAt).toISOString(),
    ...(k.retiredAt === null ? {} : { current_until: new Date(k.retiredAt).toISOString() }),
    ...(state === 'dropped' && k.dropAt !== null ? { revoked_at: new Date(k.dropAt).toISOString() } : {}),
  };
}
export type SigningKeyView = ReturnType<typeof signingKeyView>;

/** Every signing key the database holds, in activation order. */
export async function listSigningKeyViews(keys: KeyStore, now: number): Promise<SigningKeyView[]> {
  await keys.reload();
  return (await keys.list()).map((k) => signingKeyView(k, now));
}

/** One signing key; 404 `inexistent_signing_key`. */
export async function getSigningKeyView(keys: KeyStore, kid: string, now: number): Promise<SigningKeyView> {
  const found = (await listSigningKeyViews(keys, now)).find((k) => k.kid === kid);
  if (!found) throw managementErrors.notFound('The signing key does not exist.', 'inexistent_signing_key');
  return found;
}

/**
 * `tessera keys rotate`: a new key, published now, signing after `delayS`
 * (default DEFAULT_ROTATION_DELAY_S); the keys it replaces stay published
 * for the longest token lifetime after that.
 */
export async function rotateSigningKeys(store: Store, keys: KeyStore, delayS = DEFAULT_ROTATION_DELAY_S) {
  const retention = (await longestTokenLifetimeMs(store)) + delayS * 1000;
  const r = await keys.rotate(delayS * 1000, retention);
  return { ...r, retention };
}

/**
 * Revokes a previous key (retired, still published): out of the JWKS at
 * once, and tokens it signed are refused. The key signing now and the next
 * one (which takes over from it) cannot be revoked: 400.
 */
export async function revokeSigningKey(store: Store, keys: KeyStore, kid: string, now: number) {
  const key = await getSigningKeyView(keys, kid, now);
  if (key.current)
    throw managementErrors.invalidBody('The current signing key cannot be revoked: rotate the keys first.');
  if (key.next)
    throw managementErrors.invalidBody(
      'The next signing key cannot be revoked: it takes over from the current one.',
    );
  await revokeSigningKeyRow(store.db, kid, now);
  return getSigningKeyView(keys, kid, now);
}
