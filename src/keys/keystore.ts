import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { type JWK, calculateJwkThumbprint, exportJWK } from 'jose';
import type { Store } from '../store/db.js';
import { outsideRequest } from '../store/deadline.js';
import {
  deleteDroppedSigningKeys,
  insertSigningKey,
  listSigningKeys,
  retireSigningKeys,
} from '../store/repos/keys.js';
import type { SecretBox } from '../store/secret-box.js';
import { DEFAULTS } from '../config/defaults.js';

const generateRsa = promisify(generateKeyPair);

/** A signing key ready for use; the private part exists only in memory. */
export interface SigningKey {
  kid: string;
  alg: string;
  publicJwk: JWK;
  privateKey: KeyObject;
  publicKey: KeyObject;
  activatesAt: number;
  retiredAt: number | null;
  dropAt: number | null;
}

/**
 * How long a node trusts its in-memory copy before re-reading the keys: a
 * key rotated elsewhere (`tessera keys rotate`, another node) is in this
 * node's JWKS within this time. The re-read is one small query.
 */
export const KEYS_RELOAD_MS = DEFAULTS.keys.reloadMs;

/**
 * A signing key's state, from its three times. One state machine:
 *
 *     pending ──(activates_at)──▶ active ──(retired_at)──▶ retired ──(drop_at)──▶ dropped
 *        └────────────(retired_at, before activates_at)───────▶ retired
 *
 * - pending: published in the JWKS (so caches learn it), not signing yet;
 * - active: the one key that signs (rotation retires every other key at the
 *   new key's activation, so at most one is active at any instant);
 * - retired: no longer signs, still published until every token it signed
 *   has expired (`drop_at`); a pending key superseded by a newer rotation
 *   goes straight to retired and never signs;
 * - dropped: out of the JWKS, deleted at the next rotation.
 */
export type KeyState = 'pending' | 'active' | 'retired' | 'dropped';

export function keyState(k: Pick<SigningKey, 'activatesAt' | 'retiredAt' | 'dropAt'>, now: number): KeyState {
  if (k.dropAt !== null && k.dropAt <= now) return 'dropped';
  if (k.retiredAt !== null && k.retiredAt <= now) return 'retired';
  if (k.activatesAt > now) return 'pending';
  return 'active';
}

/**
 * The signing keys: kept in the database with the private part sealed by
 * TESSERA_SECRET, cached in memory, generated on first start.
 */
export class KeyStore {
  private keys: SigningKey[] = [];
  private loadedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly now: () => number,
  ) {}

  /** Loads the keys, generating the first one when there is none. */
  async init(): Promise<void> {
    await this.reload();
    if (!this.keys.some((k) => k.retiredAt === null)) {
      await this.addKey(this.now());
      await this.reload();
    }
  }

  /** Creates a new RSA key; it signs from `activatesAt` on. */
  async addKey(activatesAt: number): Promise<string> {
    const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await insertSigningKey(this.store.db, {
      kid,
      alg: 'RS256',
      public_jwk: JSON.stringify({ ...jwk, kid, use: 'sig', alg: 'RS256' }),
      private_enc: this.box.seal(privatePem),
      created_at: this.now(),
      activates_at: activatesAt,
      retired_at: null,
      drop_at: null,
    });
    this.loadedAt = 0;
    return kid;
  }

  async reload(): Promise<void> {
    const rows = await listSigningKeys(this.store.db);
    const byKid = new Map(this.keys.map((k) => [k.kid, k]));
    this.keys = rows.map((row) => {
      const known = byKid.get(row.kid);
      if (known)
        return { ...known, activatesAt: row.activates_at, retiredAt: row.retired_at, dropAt: row.drop_at };
      let pem: string;
      try {
        pem = this.box.open(row.private_enc);
      } catch {
        throw new Error(
          `signing key ${row.kid} cannot be decrypted: TESSERA_SECRET is not the secret the keys were created with`,
        );
      }
      const privateKey = createPrivateKey(pem);
      return {
        kid: row.kid,
        alg: row.alg,
        publicJwk: JSON.parse(row.public_jwk) as JWK,
        privateKey,
        publicKey: createPublicKey(privateKey),
        activatesAt: row.activates_at,
        retiredAt: row.retired_at,
        dropAt: row.drop_at,
      };
    });
    this.loadedAt = this.now();
  }

  private reloading: Promise<void> | undefined;

  /** The keys, re-read when stale; concurrent callers share one re-read. */
  private async fresh(): Promise<SigningKey[]> {
    if (this.now() - this.loadedAt > KEYS_RELOAD_MS) {
      // Shared by every caller: not bound to the deadline of the request that happened to start it.
      this.reloading ??= outsideRequest(() => this.reload()).finally(() => {
        this.reloading = undefined;
      });
      await this.reloading;
    }
    return this.keys;
  }

  /** The key to sign with now: the newest active, not retired key. */
  async current(): Promise<SigningKey> {
    const now = this.now();
    const usable = (await this.fresh()).filter(
      (k) => k.activatesAt <= now && (k.retiredAt === null || k.retiredAt > now),
    );
    const key = usable.at(-1);
    if (!key) throw new Error('no active signing key: run `tessera keys rotate`');
    return key;
  }

  /**
   * Finds a key by kid for verification, re-reading once for an unknown kid.
   * A dropped key (past its drop time, or revoked) verifies nothing.
   */
  async byKid(kid: string): Promise<SigningKey | undefined> {
    const live = (k: SigningKey) => k.kid === kid && (k.dropAt === null || k.dropAt > this.now());
    let key = (await this.fresh()).find(live);
    if (!key && this.now() - this.loadedAt > 1000) {
      await this.reload();
      key = this.keys.find(live);
    }
    return key;
  }

  /** Every published key, for /.well-known/jwks.json: pending, current and retired-but-not-dropped. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const now = this.now();
    return {
      keys: (await this.fresh()).filter((k) => k.dropAt === null || k.dropAt > now).map((k) => k.publicJwk),
    };
  }

  /**
   * Key rotation (see KeyState): a new key is published now (in this
   * process at once, on other nodes within KEYS_RELOAD_MS) and signs from
   * `now + delayMs`, so JWKS caches learn it first; every key that would
   * still sign then is retired then and stays published for `retentionMs`
   * more (the longest token lifetime), after which it is dropped. Keys
   * already past their drop time are deleted.
   */
  async rotate(
    delayMs: number,
    retentionMs: number,
  ): Promise<{ kid: string; activatesAt: number; retired: string[] }> {
    const now = this.now();
    const activatesAt = now + delayMs;
    await this.reload();
    // Every key that would still sign at the new key's activation hands over then, a
    // pending one from an earlier rotation included: one active key at any instant.
    const replaced = this.keys
      .filter((k) => k.retiredAt === null || k.retiredAt > activatesAt)
      .map((k) => k.kid);
    const kid = await this.addKey(activatesAt);
    await retireSigningKeys(this.store.db, replaced, activatesAt, activatesAt + retentionMs);
    await deleteDroppedSigningKeys(this.store.db, now);
    await this.reload();
    return { kid, activatesAt, retired: replaced };
  }

  /** The keys as loaded, for `tessera keys list`. */
  async list(): Promise<SigningKey[]> {
    return this.fresh();
  }
}
