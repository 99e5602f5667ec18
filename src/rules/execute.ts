import { setTimeout as sleep } from 'node:timers/promises';
import ivm from 'isolated-vm';
import { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../config/defaults.js';
import { bridgedFetch, type FetchPolicy } from './fetch-bridge.js';
import type { FreshContext, IsolateLease } from './isolate.js';
import { entrySource } from './sandbox-source.js';
import { scriptKey } from './slot.js';
import { cut, ScriptFailure, type ScriptId } from './types.js';

/** The final state of a script, read back from the sandbox as JSON (see sandbox-source.ts). */
export interface ScriptState {
  status: 'done' | 'unauthorized' | 'failed' | 'pending';
  error?: string;
  message?: string;
  /** A rule's user and context, as it called back with them. */
  user?: unknown;
  context?: unknown;
  /** An action's api calls. */
  effects?: unknown;
  wait?: number;
  logs?: string[];
}

export interface Execution {
  /** The login's isolate (see isolate.ts). */
  lease: IsolateLease;
  id: ScriptId;
  /** The wrapped tenant source (wrapRule / wrapAction). */
  source: string;
  /** The data the script sees, JSON-copied in: `{kind, user, context, configuration}` or `{kind, event}`. */
  input: Record<string, unknown>;
  policy: FetchPolicy;
  /** Receives the script's console output. */
  log(lines: string[]): void;
  /** Told when the script version was moved off the event loop for a while (loop-runs.ts), and why. */
  moved?(why: string): void;
}

/** What the scripts of one login share: its isolate, its fetch policy, its log. */
export interface LoginScriptEnv {
  lease: IsolateLease;
  policy: FetchPolicy;
  log(id: ScriptId, lines: string[]): void;
  moved?(id: ScriptId, why: string): void;
}

/** Runs one of a login's scripts (a rule or an action) with what the login's scripts share. */
export function executeInLogin(
  env: LoginScriptEnv,
  id: ScriptId,
  source: string,
  input: Execution['input'],
): Promise<ScriptState> {
  return executeScript({
    lease: env.lease,
    id,
    source,
    input,
    policy: env.policy,
    log: (l) => env.log(id, l),
    moved: (why) => env.moved?.(id, why),
  });
}

/**
 * Runs one tenant script in the login's context (made ahead, shared by the
 * login's scripts, dropped with the login: slot.ts), on
 * the event loop first when its isolate is quiet (loop-runs.ts), and
 * returns its outcome (`done` or `unauthorized`); any failure is a
 * ScriptFailure. The isolate is the login's alone, so a failure here is
 * this script's own doing (or the sandbox stopping it: `lease.stopped`).
 */
export async function executeScript(login: Execution): Promise<ScriptState> {
  // Each script has its own time limit, inside what is left of the login's.
  const started = performance.now();
  const deadline = Math.min(login.policy.deadline, started + login.policy.limits.scriptTimeoutMs);
  const x: Execution = { ...login, policy: { ...login.policy, deadline } };
  return executeOnce(x);
}

async function executeOnce(x: Execution): Promise<ScriptState> {
  const { lease, id, policy } = x;
  const { slot } = lease;
  const budget = () => {
    const ms = policy.deadline - performance.now();
    if (ms <= 0) throw timedOut(x);
    return { timeout: Math.ceil(ms) };
  };
  // The fetch bridge, made for a run on the isolate's thread (on the loop,
  // fetch moves the script, loop-runs.ts): passing a Reference into a
  // context first instantiates isolated-vm's class there, about 0.03 ms.
  let fetchRef: ivm.Reference | undefined;
  const bridge = () =>
    (fetchRef ??= new ivm.Reference((url: unknown, init: unknown) => bridgedFetch(url, init, policy)));
  let state: ScriptState | undefined;
  try {
    const { source, key } = entryOf(x.source);
    const script = await slot.compile(source, key).catch((err: unknown) => {
      if (slot.disposed) throw err;
      throw new ScriptFailure(id, `does not compile: ${message(err)}`);
    });
    const input = JSON.stringify(x.input);
    let fresh = await lease.context();
    let answer: unknown;
    const sliceMs = policy.limits.loopSliceMs;
    let onThread = !(slot.quiet && lease.loopRuns.allows(key, sliceMs));
    if (!onThread) {
      const onLoop = runOnLoop(x, script, fresh, input, Math.min(sliceMs, budget().timeout));
      if (onLoop instanceof Moved) {
        // Not the script's doing when the thread lost its core meanwhile: this login only.
        if (onLoop.ownDoing) {
          lease.loopRuns.moveOff(key);
          x.moved?.(onLoop.why);
        }
        // Nothing of the dropped run is kept: its context goes with it.
        fresh = await lease.renewContext();
        onThread = true;
      } else {
        answer = onLoop;
      }
    }
    if (onThread) {
      // Queued ahead of the run on the isolate's thread.
      fresh.drive.applyIgnored(undefined, ['input', input, bridge(), false]);
      answer = await slot.onItsThread(() => script.run(fresh.context, budget()));
    }
    const { drive } = fresh;
    for (;;) {
      answer ??= await slot.onItsThread(() => drive.apply(undefined, ['state'], budget()));
      const json = String(answer);
      if (json.length > policy.limits.maxResultChars) {
        throw new ScriptFailure(
          id,
          `handed back ${json.length} characters of JSON (user, context or api calls; at most ${policy.limits.maxResultChars})`,
        );
      }
      state = JSON.parse(json) as ScriptState;
      if (state.status !== 'pending') break;
      if (state.wait === undefined) {
        throw new ScriptFailure(
          id,
          id.kind === 'rule' ? 'it never called back' : 'its promise never settled',
        );
      }
      if (policy.deadline - performance.now() <= state.wait) throw timedOut(x);
      await sleep(state.wait, undefined, { signal: lease.abort.signal });
      answer = await slot.onItsThread(() => drive.apply(undefined, ['timer', bridge()], budget()));
    }
  } catch (err) {
    throw toFailure(x, err);
  } finally {
    if (state?.logs?.length) x.log(state.logs);
    fetchRef?.release();
  }
  if (state.status === 'failed') {
    throw new ScriptFailure(id, cut(String(state.error ?? 'it failed'), policy.limits.maxMessageChars));
  }
  return state;
}

/** Each wrapped script's entry source and compile key, so that a login does not hash its scripts again. */
const entries = new LRUCache<string, { source: string; key: string }>({ max: DEFAULTS.rules.cachedScripts });

function entryOf(wrapped: string): { source: string; key: string } {
  let entry = entries.get(wrapped);
  if (!entry) {
    const source = entrySource(wrapped);
    entry = { source, key: scriptKey(source) };
    entries.set(wrapped, entry);
  }
  return entry;
}

/** The prelude's state of a run on the loop that called fetch (sandbox-source.ts). */
const MOVED = JSON.stringify({ status: 'moved' });

/**
 * runOnLoop's answer when the script must run again on its isolate's
 * thread, and why; `ownDoing` when the script's own CPU took the slice, so
 * that its version should stay off the loop for a while (loop-runs.ts).
 */
class Moved {
  constructor(
    readonly why: string,
    readonly ownDoing = true,
  ) {}
}

/**
 * Runs the script on the event loop (sync calls), for at most `sliceMs`:
 * its answer (as the async run's, with the state read when it has not
 * finished), or Moved when it ran past the slice or called fetch (nothing
 * of that run has left the sandbox; loop-runs.ts). The slice is wall time
 * (isolated-vm's timeout): a run that used less than half of it in CPU was
 * held up by the machine (its thread waited for a core the hash pool had),
 * not by the script, and is moved for this login only. A failure of its
 * own (memory, the login's time limit) is thrown as from the async run.
 */
function runOnLoop(
  x: Execution,
  script: ivm.Script,
  fresh: FreshContext,
  input: string,
  sliceMs: number,
): unknown {
  const { slot } = x.lease;
  const started = performance.now();
  const cpuAtStart = slot.cpuMs();
  const past = () =>
    new Moved(`it ran past ${sliceMs} ms on the event loop`, slot.cpuMs() - cpuAtStart >= sliceMs / 2);
  let answer: unknown;
  try {
    fresh.drive.applySync(undefined, ['input', input, undefined, true]);
    answer = script.runSync(fresh.context, { timeout: sliceMs });
    if (answer === undefined) {
      const left = Math.ceil(sliceMs - (performance.now() - started));
      if (left <= 0) return past();
      answer = fresh.drive.applySync(undefined, ['state'], { timeout: left });
    }
  } catch (err) {
    // Past the slice, unless the slice was all the login had left (then it timed out).
    const timedOut = /timed out/i.test(message(err)) && !slot.disposed && !x.lease.stopped;
    if (timedOut && x.policy.deadline - performance.now() > 0) return past();
    throw err;
  }
  return answer === MOVED ? new Moved('it called fetch, which cannot be answered on the event loop') : answer;
}

function timedOut(x: Execution): ScriptFailure {
  // A script stopped mid-way (time limit, memory, the sandbox's caps) may
  // leave work or garbage in the isolate: it is not lent again.
  x.lease.spoiled = true;
  const { scriptTimeoutMs, loginTimeoutMs } = x.policy.limits;
  return new ScriptFailure(
    x.id,
    `exceeded its time limit (${scriptTimeoutMs} ms per script, ${loginTimeoutMs} ms for all of a login's rules and actions)`,
  );
}

function toFailure(x: Execution, err: unknown): ScriptFailure {
  if (x.lease.stopped) return new ScriptFailure(x.id, x.lease.stopped);
  if (err instanceof ScriptFailure) return err;
  const text = message(err);
  if (x.lease.slot.disposed) x.lease.spoiled = true;
  if (/timed out/i.test(text)) return timedOut(x);
  if (/memory limit/i.test(text)) {
    x.lease.spoiled = true;
    return new ScriptFailure(x.id, `ran out of memory (limit ${x.policy.limits.memoryLimitMb} MB)`);
  }
  return new ScriptFailure(x.id, cut(text, x.policy.limits.maxMessageChars));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
