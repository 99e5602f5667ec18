import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { recordEvent } from '../events/log.js';
import type { LoginContext } from '../login-types/context.js';
import type { Message, Notifier } from '../notify/types.js';
import type { Runtime } from '../runtime.js';
import { liftBlocks } from '../store/repos/blocks.js';
import type { Store } from '../store/db.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { Attempt } from './attempt.js';
import { BlockMirror } from './block-mirror.js';
import { BreachedCorpus } from './breached.js';
import { type Counters, createCounters } from './counters.js';
import { loadPolicy } from './policy.js';
import { UnblockTickets } from './tickets.js';
import { Turns } from './turns.js';

export { liftUserBlocks } from './lift.js';
export type { Attempt } from './attempt.js';

export interface ProtectionDeps {
  config: Config;
  store: Store;
  now: () => number;
  log: Logger;
  notify: Notifier;
  /** Counters to use instead of the configured ones (the workers of `--workers N`: the primary's). */
  counters?: Counters;
}

/**
 * Attack protection for password logins: brute-force blocking, suspicious IP
 * throttling and breached password detection, as the tenant's
 * `attackProtection` section says. One per runtime; the login pipeline calls
 * `begin` before the password is checked and settles the attempt after.
 */
export class Protection {
  readonly counters: Counters;
  readonly mirror: BlockMirror;
  readonly corpus: BreachedCorpus;
  readonly tickets: UnblockTickets;
  private readonly pending = new Set<Promise<unknown>>();
  /** Per IP counting key, the throttle tokens held by this node's logins in flight (attempt.ts). */
  readonly heldTokens = new Map<string, number>();
  /** Per counter id, this node's logins waiting for its limit, first come first served (attempt.ts). */
  readonly turns = new Turns();

  constructor(readonly deps: ProtectionDeps) {
    const { config, store, now, log } = deps;
    this.counters =
      deps.counters ??
      createCounters(config.redisUrl, config.redisPrefix, {
        commandTimeoutMs: config.redisCommandTimeoutMs,
        connectTimeoutMs: config.redisConnectTimeoutMs,
        log,
      });
    this.mirror = new BlockMirror(store, now, log);
    this.corpus = new BreachedCorpus(config.breachedPasswords);
    this.tickets = new UnblockTickets(config.secret);
  }

  /**
   * Reserves the login attempt before the password is checked (so concurrent
   * guesses are counted while in flight), or refuses it with a 429. Undefined
   * when no protection applies to this login.
   */
  async begin(ctx: LoginContext<Runtime>): Promise<Attempt | undefined> {
    const policy = await loadPolicy(this.deps.store.db);
    if (!policy.bruteForce && !policy.ipThrottling && !policy.breached) return undefined;
    if (policy.bruteForce?.block || policy.ipThrottling?.block) await this.mirror.ready();
    const attempt = new Attempt(this, ctx, policy);
    await attempt.reserve();
    return attempt;
  }

  /** Lifts one block now (the email link) and logs `ublkdu`; false when it was not in force. */
  async liftBlock(rt: Runtime, id: string, ip: string, description: string): Promise<boolean> {
    const [row] = await liftBlocks(this.deps.store.db, { ids: [id] }, this.deps.now());
    await this.mirror.dropLifted(id);
    await this.counters.reset(id);
    if (row?.kind === 'ip' && row.ip) await this.counters.refill(row.ip);
    if (!row) return false;
    await recordEvent(rt, {
      type: 'ublkdu',
      description,
      connection_id: row.connection_id,
      user_id: row.user_id,
      user_name: row.identifier,
      ip,
      details: { blocked_ip: row.ip },
    });
    return true;
  }

  /** The tenant's display name for emails. */
  async tenantName(): Promise<string> {
    return (await getTenantSettings(this.deps.store.db)).friendly_name ?? 'Tessera';
  }

  /** Sends in the background: a slow mail server never slows a login, a failing one is logged. */
  send(messages: Message[]): void {
    for (const m of messages) {
      const p = this.deps.notify.email.send(m).catch((err) => {
        this.deps.log.error({ err, to: m.to, subject: m.subject }, 'could not send attack-protection email');
      });
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  /** Resolves when every email under way has been handed over (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.counters.close();
    await this.corpus.close();
  }
}
