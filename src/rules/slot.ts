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

/** A new context with the prelude run in it; the tenant's script has not run in it. */
export interface FreshContext {
  context: ivm.Context;
  /** The prelude's driver function (see sandbox-source.ts). */
  drive: ivm.Reference;
}

/**
 * One V8 isolate (isolated-vm) with its compiled scripts, cached by source
 * hash: a script version is compiled once per isolate. Each execution gets
 * a fresh context of it, so scripts share no state. Making a context costs
 * most of a script's run (about 0.7 ms), so a few are made ahead, between
 * logins. An isolate runs one piece of JavaScript at a time; the sandbox
 * (isolate.ts) lends it to one login at a time.
 */
export class IsolateSlot {
  readonly isolate: ivm.Isolate;
  private scripts = new LRUCache<string, Promise<ivm.Script>>({ max: MAX_CACHED_SCRIPTS });
  private warm: Promise<FreshContext>[] = [];
  /** performance.now() when the slot last went back to the pool. */
  idleSince = 0;

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

  compile(source: string): Promise<ivm.Script> {
    const key = createHash('sha256').update(source).digest('base64url');
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

  /** A fresh context: one made ahead when there is one. */
  take(): Promise<FreshContext> {
    return this.warm.shift() ?? this.prepare();
  }

  /** Makes contexts ahead, up to `count` (called when the slot is idle). */
  topUp(count = WARM_CONTEXTS): void {
    while (this.warm.length < count && !this.disposed) {
      const fresh = this.prepare();
      fresh.catch(() => {
        this.warm = this.warm.filter((w) => w !== fresh);
      });
      this.warm.push(fresh);
    }
  }

  /**
   * Makes a new isolate's first context before it is lent: that one costs
   * about 25 ms of the isolate's CPU (V8 and ICU start-up, compiling the
   * prelude), which is not the login's doing and must not count as its.
   */
  async prime(): Promise<void> {
    this.topUp(1);
    await Promise.allSettled(this.warm);
  }

  private async prepare(): Promise<FreshContext> {
    const context = await this.isolate.createContext();
    const hardening = await this.compile(SANDBOX_HARDENING);
    await hardening.run(context, { timeout: 1000 });
    const prelude = await this.compile(SANDBOX_PRELUDE);
    const drive = (await prelude.run(context, { reference: true, timeout: 1000 })) as ivm.Reference;
    return { context, drive };
  }

  dispose(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}
