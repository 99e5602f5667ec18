import { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../config/defaults.js';

/**
 * Which scripts run on the event loop (isolated-vm's sync calls) and which
 * on their isolate's own thread (async calls), for one runtime's sandbox.
 *
 * Why: a login's scripts take about a tenth of a ms of CPU each, and an
 * async call costs about as much again in the hand-off to the isolate's
 * thread and back, more when that thread has to wait for a core the hash
 * pool holds (3 rules took 4-6 ms at 16 logins in flight that way, 0.8 ms
 * on the loop).
 *
 * Why it is safe: a run on the loop holds the loop, so it gets at most
 * `loopSliceMs` (isolated-vm's own timeout stops it); `fetch`, which needs
 * the loop free to answer, stops it at once (the prelude marks the state
 * `moved` before anything leaves the sandbox). A stopped run had no effect
 * outside its context: the host drops its context and its outcome and runs
 * the script again from the start, on the isolate's thread in a fresh
 * context, and that script version runs there for the next `loopOffMs`
 * (60 s) before it tries the loop again. So a script can hold the loop for
 * one slice per version, runtime and minute, however it is called; only
 * the login that was moved pays the rerun. Memory, isolation and every
 * other cap are the isolate's, the same either way.
 *
 * Why not for good: a legitimate script can be caught by a pause that is
 * not its own (V8 collecting the isolate's garbage, a few ms now and then
 * on a busy machine); it comes back to the loop a minute later.
 */
export class LoopRuns {
  /** Script versions (by their compile key) that run on their isolate's thread for now. */
  private readonly offLoop: LRUCache<string, true>;

  constructor(offMs: number = DEFAULTS.rules.loopOffMs) {
    this.offLoop = new LRUCache<string, true>({ max: DEFAULTS.rules.cachedScripts, ttl: offMs });
  }

  /** Whether the script compiled as `key` may start on the event loop, given the slice `sliceMs`. */
  allows(key: string, sliceMs: number): boolean {
    return sliceMs > 0 && !this.offLoop.has(key);
  }

  /** The script compiled as `key` ran past its slice or called fetch: off the loop for `offMs`. */
  moveOff(key: string): void {
    this.offLoop.set(key, true);
  }
}
