import type { LoopRuns } from './loop-runs.js';
import type { IsolateSlot } from './slot.js';

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
}
