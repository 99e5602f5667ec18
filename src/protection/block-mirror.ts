import type { Logger } from 'pino';
import type { Store } from '../store/db.js';
import { outsideRequest } from '../store/deadline.js';
import {
  type BlockRow,
  activeBlocksSince,
  dropLiftedBlock,
  findBlock,
  purgeBlocks,
} from '../store/repos/blocks.js';
import { ATTEMPTS_WINDOW_S } from './counters.js';
import { DEFAULTS } from '../config/defaults.js';

/** How long a block read from the database is believed before it is read again (a lift elsewhere shows within this). */
export const CONFIRM_MS = DEFAULTS.protection.blockConfirmMs;
/** How often blocks written by other processes are fetched. */
export const REFRESH_MS = DEFAULTS.protection.blockRefreshMs;
const PURGE_MS = DEFAULTS.protection.blockPurgeMs;

export type BlockState = 'blocked' | 'lifted' | 'clear';

/**
 * This process's view of the blocks in force, so that a login for a key
 * nobody blocked costs no database read. Loaded in full on first use (blocks
 * survive a restart), then topped up with new blocks every REFRESH_MS (other
 * processes, other nodes). A key seen blocked is confirmed against the
 * database at most every CONFIRM_MS: that is how a lift by the CLI, the
 * email link or a password change reaches a running server.
 */
export class BlockMirror {
  private readonly entries = new Map<string, { expiresAt: number | null; confirmedAt: number }>();
  private loaded: Promise<void> | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;
  private lastPurge = 0;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** Resolves once the blocks in force are known; refreshes in the background when due. */
  ready(): Promise<void> {
    if (!this.loaded) {
      this.loaded = outsideRequest(() => this.refresh(0)).catch((err) => {
        this.loaded = undefined;
        throw err;
      });
      return this.loaded;
    }
    const now = this.now();
    if (!this.refreshing && now - this.lastRefresh >= REFRESH_MS) {
      // Another node's blocks written while we last looked are caught by the overlap.
      this.refreshing = outsideRequest(() => this.refresh(this.lastRefresh - REFRESH_MS))
        .catch((err) => this.log.warn({ err }, 'could not refresh attack-protection blocks'))
        .finally(() => {
          this.refreshing = undefined;
        });
    }
    return this.loaded;
  }

  private async refresh(since: number): Promise<void> {
    const now = this.now();
    const db = this.store.db;
    if (now - this.lastPurge >= PURGE_MS) {
      this.lastPurge = now;
      await purgeBlocks(db, now - ATTEMPTS_WINDOW_S * 1000);
    }
    for (const b of await activeBlocksSince(db, since)) {
      this.entries.set(b.id, { expiresAt: b.expires_at, confirmedAt: now });
    }
    this.lastRefresh = now;
  }

  /** The state of a key as this process knows it, confirmed against the database when stale. */
  async check(id: string): Promise<BlockState> {
    const e = this.entries.get(id);
    if (!e) return 'clear';
    const now = this.now();
    if (e.expiresAt !== null && e.expiresAt <= now) {
      this.entries.delete(id);
      return 'clear';
    }
    if (now - e.confirmedAt < CONFIRM_MS) return 'blocked';
    return this.lookup(id);
  }

  /** The state of a key in the database (the source of truth). */
  async lookup(id: string): Promise<BlockState> {
    return this.apply(id, await findBlock(this.store.db, id));
  }

  private apply(id: string, row: BlockRow | undefined): BlockState {
    const now = this.now();
    if (!row || row.lifted_at !== null || (row.expires_at !== null && row.expires_at <= now)) {
      this.entries.delete(id);
      return row?.lifted_at != null ? 'lifted' : 'clear';
    }
    this.entries.set(id, { expiresAt: row.expires_at, confirmedAt: now });
    return 'blocked';
  }

  /** A block this process just wrote. */
  add(id: string, expiresAt: number | null): void {
    this.entries.set(id, { expiresAt, confirmedAt: this.now() });
  }

  /** Forgets a lifted block, and its row: the caller resets the counter. */
  async dropLifted(id: string): Promise<void> {
    this.entries.delete(id);
    await dropLiftedBlock(this.store.db, id);
  }
}
