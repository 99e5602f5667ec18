import { sql } from 'kysely';
import type { Store } from './db.js';

/** The database server's clock, epoch milliseconds: the one clock every node shares. */
export async function databaseNow(store: Store): Promise<number> {
  const query =
    store.dialect === 'postgres'
      ? sql<{ ms: number }>`SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS ms`
      : sql<{ ms: number }>`SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) AS ms`;
  const { rows } = await query.execute(store.db);
  return Number(rows[0]!.ms);
}

/**
 * The time of the cluster: this node's clock corrected by its offset from
 * the database's clock, measured at boot and again every minute (in the
 * background: reading the time never waits for the database). Times that
 * several nodes write and compare (key activation, rotation, expiry, token
 * `iat`) then agree even when a node's own clock is off by an hour.
 */
export class ClusterClock {
  private offset = 0;
  private syncedAt = Number.NEGATIVE_INFINITY;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly local: () => number,
    private readonly source: () => Promise<number>,
    private readonly onSync: (offsetMs: number) => void = () => {},
    private readonly onError: (err: unknown) => void = () => {},
    private readonly resyncMs = 60_000,
  ) {}

  /** Measures the offset now (half the round trip counts as the database's reading time). */
  async sync(): Promise<void> {
    const before = this.local();
    const db = await this.source();
    const after = this.local();
    this.offset = Math.round(db - (before + after) / 2);
    this.syncedAt = after;
    this.onSync(this.offset);
  }

  /** This node's clock minus the database's, ms (positive: this node is ahead). */
  get skewMs(): number {
    return -this.offset;
  }

  now = (): number => {
    const t = this.local();
    if (t - this.syncedAt > this.resyncMs || t < this.syncedAt) this.resync(t);
    return t + this.offset;
  };

  private resync(t: number): void {
    if (this.syncing) return;
    this.syncing = this.sync()
      .catch((err) => {
        // Keep the last offset; try again in a minute.
        this.syncedAt = t;
        this.onError(err);
      })
      .finally(() => {
        this.syncing = undefined;
      });
  }
}
