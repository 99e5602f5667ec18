import type { LoopRuns } from './loop-runs.js';
import type { FreshContext, IsolateSlot } from './slot.js';

/**
 * One login's exclusive use of an isolate, for all of its rules and
 * actions. `stopped` says why the sandbox took the isolate away (the
 * isolate is disposed, which ends whatever JavaScript was running in it).
 */
export class IsolateLease {
  readonly started = performance.now();
  private readonly cpuAtStart: number;
  stopped: string | undefined;
  /** Set when a script failed in a way that may leave the isolate unfit (time limit, memory). */
  spoiled = false;
  busy = false;
  slow = false;
  timer: NodeJS.Timeout | undefined;
  /** Aborted when the lease is stopped, to end a wait for a script's timer. */
  readonly abort = new AbortController();
  /** The login's context, once its first script took it (context()). */
  private taken: Promise<FreshContext> | undefined;

  constructor(
    readonly slot: IsolateSlot,
    /** The user the login is for, when known (see Strikes). */
    readonly user: string | undefined,
    /** Which of the runtime's scripts may run on the event loop (loop-runs.ts). */
    readonly loopRuns: LoopRuns,
  ) {
    this.cpuAtStart = slot.cpuMs();
  }

  cpuMs(): number {
    return this.slot.cpuMs() - this.cpuAtStart;
  }

  /**
   * The login's context, shared by all of its scripts (slot.ts): taken
   * fresh from those the isolate made ahead when its first script asks,
   * the same one after that, dropped when the login gives the isolate back.
   */
  context(): Promise<FreshContext> {
    this.taken ??= this.slot.take();
    return this.taken;
  }

  /**
   * Drops the login's context for a fresh one: a run that is made again
   * (loop-runs.ts) leaves its context half-run, and nothing of that run
   * may be seen. The login's later scripts run in the new context.
   */
  renewContext(): Promise<FreshContext> {
    this.dropContext();
    return this.context();
  }

  /** Drops the login's context (released after this turn, slot.ts): no script of any login uses it again. */
  dropContext(): void {
    if (this.taken) this.slot.drop(this.taken);
    this.taken = undefined;
  }
}
