import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import { SANDBOX_HARDENING } from './sandbox-hardening.js';
import { SANDBOX_PRELUDE } from './sandbox-source.js';
import { DEFAULT_RULES_LIMITS, type RulesLimits } from './types.js';

/** Compiled scripts kept per isolate; past this many, the cache starts over. */
const MAX_CACHED_SCRIPTS = 256;
/** Fresh contexts (prelude run, never used) kept ready per isolate. */
const WARM_CONTEXTS = 4;

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
 * logins. An isolate runs one piece of JavaScript at a time.
 */
export class IsolateSlot {
  readonly isolate: ivm.Isolate;
  private scripts = new Map<string, Promise<ivm.Script>>();
  private warm: Promise<FreshContext>[] = [];
  /** Executions currently holding this slot. */
  busy = 0;

  constructor(memoryLimitMb: number) {
    this.isolate = new ivm.Isolate({ memoryLimit: memoryLimitMb });
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  compile(source: string): Promise<ivm.Script> {
    if (this.scripts.size >= MAX_CACHED_SCRIPTS) this.scripts.clear();
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

  /** Makes contexts ahead, up to WARM_CONTEXTS (called when the slot is idle). */
  topUp(): void {
    while (this.warm.length < WARM_CONTEXTS && !this.disposed) {
      const fresh = this.prepare();
      fresh.catch(() => {
        this.warm = this.warm.filter((w) => w !== fresh);
      });
      this.warm.push(fresh);
    }
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

/**
 * A runtime's isolates for tenant scripts. Usually one; another is created
 * only while all are busy (up to `limits.isolates`), so a script that loops
 * until its timeout does not hold up the scripts of concurrent logins. An
 * isolate that ran out of memory is disposed by isolated-vm and replaced on
 * the next use.
 */
export class Sandbox {
  private slots: IsolateSlot[] = [];

  constructor(public limits: RulesLimits) {}

  /** An idle isolate, a new one, or (all busy, at the limit) the least busy. */
  acquire(): IsolateSlot {
    this.slots = this.slots.filter((s) => !s.disposed);
    let slot = this.slots.find((s) => s.busy === 0);
    if (!slot && this.slots.length < Math.max(1, this.limits.isolates)) {
      slot = new IsolateSlot(this.limits.memoryLimitMb);
      this.slots.push(slot);
    }
    slot ??= this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy++;
    return slot;
  }

  release(slot: IsolateSlot): void {
    slot.busy--;
    // Refill once the login is done with the slot (its next script acquires
    // it again before this runs), so making contexts does not delay it.
    if (slot.busy === 0) setImmediate(() => slot.busy === 0 && slot.topUp());
  }

  dispose(): void {
    for (const slot of this.slots) slot.dispose();
    this.slots = [];
  }
}

const sandboxes = new WeakMap<object, Sandbox>();

/** The sandbox of a runtime (keyed by the runtime object), created on first use. */
export function sandboxFor(rt: object): Sandbox {
  let sandbox = sandboxes.get(rt);
  if (!sandbox) {
    sandbox = new Sandbox({ ...DEFAULT_RULES_LIMITS });
    sandboxes.set(rt, sandbox);
  }
  return sandbox;
}

/**
 * Changes the limits of a runtime's sandbox (tests lower the time limit).
 * A new memory limit takes effect with new isolates.
 */
export function configureRules(rt: object, limits: Partial<RulesLimits>): void {
  const sandbox = sandboxFor(rt);
  const memoryChanged =
    limits.memoryLimitMb !== undefined && limits.memoryLimitMb !== sandbox.limits.memoryLimitMb;
  sandbox.limits = { ...sandbox.limits, ...limits };
  if (memoryChanged) sandbox.dispose();
}
