import type { Logger } from 'pino';
import { outsideRequest } from '../store/deadline.js';

/**
 * Work done after the answer went out: sending the email of a password reset
 * must not make the answer slower for an existing account than for an
 * unknown one. Failures are logged; `idle` waits for everything under way
 * (tests, shutdown).
 */
export class Background {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly log: Logger) {}

  run(what: string, task: () => Promise<unknown>): void {
    // Not bound to the request that queued it: that one has answered (its client may be gone).
    const p = outsideRequest(() => Promise.resolve().then(task)).catch((err) =>
      this.log.error({ err }, `background task failed: ${what}`),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}

const byOwner = new WeakMap<object, Background>();

/** The background queue of a runtime (one per runtime, made on first use). */
export function backgroundOf(owner: object, log: Logger): Background {
  let b = byOwner.get(owner);
  if (!b) {
    b = new Background(log);
    byOwner.set(owner, b);
  }
  return b;
}
