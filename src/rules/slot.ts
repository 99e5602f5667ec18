import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import { LRUCache } from 'lru-cache';
import { SANDBOX_HARDENING } from './sandbox-hardening.js';
import { SANDBOX_PRELUDE } from './sandbox-source.js';
import { DEFAULTS } from '../config/defaults.js';

/** Compiled scripts kept per isolate; past this many, the least recently used is dropped. */
const MAX_CACHED_SCRIPTS = DEFAULTS.rules.cachedScripts;
/** Fresh contexts (prelude run, never used) kept ready per isolate. */
const WARM_CONTEXTS = DEFAULTS.rules.warmContexts;

/**
 * What a fresh context runs before any tenant script, as one script (one
 * run per context): the hardening, then the prelude, given the hardening's
 * per-script reset; its value is the prelude's driver. Strict, like the
 * prelude. Nothing is declared at the top level, where a tenant's script
 * (run in the same context) would see it.
 */
const BOOT = `'use strict';\n(${SANDBOX_PRELUDE})(globalThis, ${SANDBOX_HARDENING});`;

/** A new context, hardened, with the prelude run in it; no tenant script has run in it. */
export interface FreshContext {
  context: ivm.Context;
  /** The prelude's driver function (see sandbox-source.ts). */
  drive: ivm.Reference;
}

/**
 * One V8 isolate (isolated-vm) with its compiled scripts, cached by a hash
 * of their source: a script version is compiled once per isolate. A
 * login's scripts (its rules, then its actions) run in one context, fresh
 * (hardened, prelude run) and made ahead while the isolate is idle: making
 * one costs about 0.6 ms of the isolate's CPU, off the login's path. The
 * context is the login's alone: taken when its first script runs (the
 * lease's context()), dropped when the login gives the isolate back, never
 * lent to another login, so no login sees anything another left, in the
 * globals, the built-ins or anywhere else. An isolate runs one piece of
 * JavaScript at a time; the sandbox (isolate.ts) lends it to one login at
 * a time.
 *
 * Within a login, a later script sees the globals and built-ins an earlier
 * one left, as Auth0's rules share their `global` object: the scripts are
 * the same tenant's, and see each other's user and context anyway. What is
 * a script's own starts afresh for each (the prelude): its input, outcome,
 * callback, timers, console output and Intl count. A context per script
 * kept even the globals apart, but making three cost a login with three
 * rules about 2 ms more CPU (`bench:rules -- --stub-hash`: 4.2–4.7 against
 * 1.9–2.0 ms per login) and halved its logins per second; putting a shared
 * context back between scripts cost more and missed what it did not check.
 */
export class IsolateSlot {
  readonly isolate: ivm.Isolate;
  private scripts = new LRUCache<string, Promise<ivm.Script>>({ max: MAX_CACHED_SCRIPTS });
  /** Contexts made ahead. */
  private warm: { fresh: Promise<FreshContext> }[] = [];
  /** performance.now() when the slot last went back to the pool. */
  idleSince = 0;
  /**
   * Async calls on the isolate's thread (onItsThread): contexts being made,
   * scripts run there. A sync call would wait for them, holding the event loop.
   */
  private onThread = 0;
  /** Contexts dropped, to be released (drop). */
  private dropped: Promise<FreshContext>[] = [];
  /** Contexts made but not yet entered from the event loop (enterOnce). */
  private unentered: FreshContext[] = [];

  constructor(readonly memoryLimitMb: number) {
    this.isolate = new ivm.Isolate({ memoryLimit: memoryLimitMb });
  }

  /** CPU time the isolate has spent running JavaScript, in ms (waits on the host excluded). */
  cpuMs(): number {
    try {
      return Number(this.isolate.cpuTime) / 1e6;
    } catch {
      return 0; // disposed (out of memory, or stopped)
    }
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  /** Nothing runs on the isolate's thread: a sync call (loop-runs.ts) starts at once. */
  get quiet(): boolean {
    return this.onThread === 0 && !this.disposed;
  }

  /**
   * Runs async isolated-vm calls on the isolate's thread (making a context;
   * a script's run, its state, a timer), counted meanwhile: the slot is not
   * quiet, so that no sync call (a run on the loop, enterOnce) waits for
   * them holding the event loop, which would also hold the timers that stop
   * a script running too long.
   */
  async onItsThread<T>(call: () => Promise<T>): Promise<T> {
    this.onThread++;
    try {
      return await call();
    } finally {
      this.onThread--;
      this.enterMade();
    }
  }

  /** The compiled script of `source` (whose scriptKey is `key`), compiled on first use in this isolate. */
  compile(source: string, key = scriptKey(source)): Promise<ivm.Script> {
    let script = this.scripts.get(key);
    if (!script) {
      const compiled = this.isolate.compileScript(source, { filename: 'tenant-script.js' });
      script = compiled;
      this.scripts.set(key, compiled);
      compiled.catch(() => {
        if (this.scripts.get(key) === compiled) this.scripts.delete(key);
      });
    }
    return script;
  }

  /**
   * A fresh context for one login: one made ahead when there is one, else
   * a new one. Its taker drops it (`drop`) when the login is done.
   */
  take(): Promise<FreshContext> {
    return this.warm.shift()?.fresh ?? this.prepare();
  }

  /**
   * Drops a context taken for a login: nothing of it is used again. It is
   * released with the others dropped in the same turn of the event loop,
   * after it (off the login's path).
   */
  drop(fresh: Promise<FreshContext>): void {
    this.dropped.push(fresh);
    if (this.dropped.length === 1) setImmediate(() => this.releaseDropped());
  }

  private releaseDropped(): void {
    const dropped = this.dropped;
    this.dropped = [];
    for (const fresh of dropped) fresh.then(release, () => {});
  }

  /** How many contexts are made or being made ahead. */
  get madeAhead(): number {
    return this.warm.length;
  }

  /** Makes contexts ahead, up to `count` (called when the slot is idle). */
  topUp(count = WARM_CONTEXTS): void {
    while (this.warm.length < count && !this.disposed) {
      const entry = { fresh: this.prepare() };
      entry.fresh.catch(() => {
        this.warm = this.warm.filter((w) => w !== entry);
      });
      this.warm.push(entry);
    }
  }

  /**
   * Makes a new isolate's first context before it is lent: that one costs
   * about 25 ms of the isolate's CPU (V8 and ICU start-up, compiling the
   * prelude), which is not the login's doing and must not count as its.
   */
  async prime(): Promise<void> {
    this.topUp(1);
    await Promise.allSettled(this.warm.map((w) => w.fresh));
  }

  private async prepare(): Promise<FreshContext> {
    const fresh = await this.onItsThread(async () => {
      const context = await this.isolate.createContext();
      const boot = await this.compile(BOOT);
      const drive = (await boot.run(context, { reference: true, timeout: 1000 })) as ivm.Reference;
      return { context, drive };
    });
    this.enterOnce(fresh);
    return fresh;
  }

  /**
   * Enters each context once from the event loop when the last of a batch
   * is made, not in a login's script: the first sync call into a context
   * made on the isolate's thread cost a login's script about 0.04 ms (V8
   * handing the isolate between threads, and entering the new context), and
   * now and then 1-1.5 ms (the scripts' p99). Not while another context is
   * being made or a script runs on the isolate's thread (quiet): the call
   * would wait for them, holding the loop; then when they are done.
   */
  private enterOnce(fresh: FreshContext): void {
    this.unentered.push(fresh);
    this.enterMade();
  }

  /** Enters the contexts made so far (enterOnce), when nothing runs on the isolate's thread. */
  private enterMade(): void {
    if (!this.quiet || this.unentered.length === 0) return;
    const batch = this.unentered;
    this.unentered = [];
    for (const { drive } of batch) {
      if (this.disposed) return;
      try {
        drive.applySync(undefined, ['ready']);
      } catch {
        // Released already (dropped with its login), or the isolate is gone.
      }
    }
  }

  dispose(): void {
    this.warm = [];
    this.unentered = [];
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

/** What a script version is known by: a hash of its source (compile cache, loop-runs.ts). */
export function scriptKey(source: string): string {
  return createHash('sha256').update(source).digest('base64url');
}

function release({ context, drive }: FreshContext): void {
  try {
    drive.release();
    context.release();
  } catch {
    // The isolate is gone already.
  }
}
