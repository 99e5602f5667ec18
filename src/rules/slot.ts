import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import { LRUCache } from 'lru-cache';
import { SANDBOX_HARDENING } from './sandbox-hardening.js';
import { SANDBOX_PRELUDE } from './sandbox-source.js';

/** Compiled script versions kept per isolate (least recently used dropped first). */
const MAX_CACHED_SCRIPTS = 256;

/** A new context, hardened, with the prelude run in it; no tenant script has run in it. */
export interface FreshContext {
  context: ivm.Context;
  /** The prelude's driver function (see sandbox-source.ts). */
  drive: ivm.Reference;
}

/**
 * One V8 isolate (isolated-vm) with its compiled scripts, cached by a hash
 * of their source: a script version is compiled once per isolate. Each
 * login gets one fresh context for all of its scripts (the prelude puts the
 * globals and built-ins back between them, see sandbox-source.ts), made
 * ahead while the isolate is idle: making one costs about 0.8 ms of the
 * isolate's CPU (V8's context, the hardening, the prelude), off the login's
 * path. The context is dropped when the login is done and never lent to
 * another login. An isolate runs one piece of JavaScript at a time; the
 * sandbox (isolate.ts) lends it to one login at a time.
 */
export class IsolateSlot {
  readonly isolate: ivm.Isolate;
  private scripts = new LRUCache<string, Promise<ivm.Script>>({ max: MAX_CACHED_SCRIPTS });
  /** The context made ahead for the next login. */
  private warm: Promise<FreshContext> | undefined;
  /** The current login's context, and the login (lease) it belongs to. */
  private current: { owner: object; fresh: Promise<FreshContext> } | undefined;
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

  /** The compiled script of `source`, compiled on first use in this isolate. */
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

  /**
   * The context of the login `owner` (its lease): the one made ahead on the
   * login's first script, the same one for its later scripts. A context
   * made for another login is never handed out.
   */
  take(owner: object): Promise<FreshContext> {
    if (this.current?.owner !== owner) {
      this.endLogin();
      const fresh = this.warm ?? this.prepare();
      this.warm = undefined;
      this.current = { owner, fresh };
    }
    return this.current.fresh;
  }

  /** Drops the login's context (its prelude could not put everything back) for a new one. */
  replace(owner: object): Promise<FreshContext> {
    this.endLogin();
    return this.take(owner);
  }

  /** Drops the current login's context: no later login sees anything of it. */
  endLogin(): void {
    const done = this.current;
    this.current = undefined;
    done?.fresh.then(release, () => {});
  }

  /** Makes the next login's context ahead (called when the slot is idle). */
  topUp(): void {
    if (this.warm || this.disposed) return;
    const fresh = this.prepare();
    this.warm = fresh;
    fresh.catch(() => {
      if (this.warm === fresh) this.warm = undefined;
    });
  }

  /**
   * Makes a new isolate's first context before it is lent: that one costs
   * about 25 ms of the isolate's CPU (V8 and ICU start-up, compiling the
   * prelude), which is not the login's doing and must not count as its.
   */
  async prime(): Promise<void> {
    this.topUp();
    await this.warm?.catch(() => {});
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
    this.current = undefined;
    this.warm = undefined;
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

function release({ context, drive }: FreshContext): void {
  try {
    drive.release();
    context.release();
  } catch {
    // The isolate is gone already.
  }
}
