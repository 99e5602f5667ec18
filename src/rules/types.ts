import { lookup } from 'node:dns/promises';
import { DEFAULTS } from '../config/defaults.js';

/** A tenant file `rules` entry (Auth0's shape). */
export interface RuleDef {
  name: string;
  enabled?: boolean;
  order?: number;
  script: string;
}

/** A tenant file `actions` entry; only the `post-login` trigger exists. */
export interface ActionDef {
  name: string;
  trigger: 'post-login';
  enabled?: boolean;
  order?: number;
  secrets?: Record<string, string>;
  code: string;
}

/** A tenant file `rulesConfigs` entry: the rules' `configuration` global. */
export interface RulesConfigEntry {
  key: string;
  value: string;
}

/** What one login runs: the enabled rules, then the enabled post-login actions, each in order. */
export interface LoginScripts {
  rules: RuleDef[];
  actions: ActionDef[];
}

/** The sandbox's limits. Defaults in DEFAULT_RULES_LIMITS; tests may lower them per runtime. */
export interface RulesLimits {
  /** Wall-clock limit of one rule or action, in ms. */
  scriptTimeoutMs: number;
  /** Wall-clock budget of all rules and actions of one login together, in ms. */
  loginTimeoutMs: number;
  /** V8 heap limit of each isolate, in MB. */
  memoryLimitMb: number;
  /**
   * Most isolates a runtime has at once. A login running scripts has one to
   * itself (see isolate.ts); past this many, logins wait for one within
   * their time budget. Bounds the sandbox's memory: isolates × memoryLimitMb.
   */
  isolates: number;
  /** Idle isolates kept ready (contexts made ahead) however long they stay unused. */
  warmIsolates: number;
  /** An idle isolate beyond warmIsolates is disposed after this many ms unused. */
  idleIsolateMs: number;
  /** CPU time (in the isolate) a login's scripts may use before they count as busy, in ms. */
  fastCpuMs: number;
  /** Logins whose scripts may be busy at once; the scripts of another that gets busy are stopped. */
  busyLogins: number;
  /** How long a user whose scripts were stopped, timed out or ran out of memory gets no busy or slow place, in ms. */
  strikeMs: number;
  /** The CPU time (in ms) such a user's logins may use: past it they are stopped. */
  struckCpuMs: number;
  /** Wall-clock time after which a login's scripts count as slow, in ms. */
  slowMs: number;
  /** Logins whose scripts may be slow at once; the scripts of another that gets slow are stopped. */
  slowLogins: number;
  /**
   * How long one script may run on the event loop, in ms (0: never). A
   * script starts there, without a hand-off to the isolate's own thread;
   * past this slice, or when it calls `fetch` (which needs the event loop
   * free), it is stopped and run again from the start on the isolate's
   * thread, in a fresh context, and that script version runs there for the
   * next `rules.loopOffMs` (see loop-runs.ts).
   */
  loopSliceMs: number;
  /** Timeout of one sandboxed `fetch`, in ms (also bounded by what is left of the login's budget). */
  fetchTimeoutMs: number;
  /** Largest response body a sandboxed `fetch` may read, in bytes. */
  fetchMaxBytes: number;
  /**
   * How a sandboxed `fetch` resolves a host name to its addresses: the
   * system resolver (`dns.lookup`, as other clients on the machine see it).
   * Tests inject one to make a name answer what they need.
   */
  fetchLookup: FetchLookup;
  /** Most custom claims a login's scripts may put in one token. */
  maxClaims: number;
  /** Largest size of one token's custom claims, as UTF-8 JSON (names and values), in bytes. */
  maxClaimsBytes: number;
  /** Most scopes scripts may grant, and the longest the granted `scope` string may be. */
  maxScopes: number;
  maxScopeChars: number;
  /**
   * Longest text from a script passed on to a response, the log or the
   * audit event (an UnauthorizedError message, a deny reason, a redirect
   * URL, what a script threw): longer ones are cut to this many characters.
   */
  maxMessageChars: number;
  /** Largest outcome (user, context, effects) a script may hand back, as JSON characters. */
  maxResultChars: number;
}

/** All the addresses of a host name, in the resolver's order. */
export type FetchLookup = (hostname: string) => Promise<readonly { address: string }[]>;

export const DEFAULT_RULES_LIMITS: Readonly<RulesLimits> = {
  ...DEFAULTS.rules.limits,
  fetchLookup: (hostname) => lookup(hostname, { all: true, verbatim: true }),
};

/** `text` cut to `max` characters (marked with an ellipsis) so no script can blow up a message. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * The `rulesConfigs` key listing the hosts a rule or action may `fetch`:
 * comma-separated `host` (ports 80 and 443) or `host:port` entries, where a
 * host is a name or an IP address (`api.acme.test, api.acme.test:8443,
 * 10.0.0.7:8080, [fd00::7]:8080`). Any other host or port, any scheme other
 * than http/https, and a name that resolves to a non-public address the
 * list does not name are refused inside the sandbox (see fetch-bridge.ts).
 */
export const ALLOWED_HOSTS_KEY = 'TESSERA_ALLOWED_HOSTS';

/** Which kind of tenant script, and its name: for messages and logs. */
export interface ScriptId {
  kind: 'rule' | 'action';
  name: string;
}

export function describeScript(id: ScriptId): string {
  return `${id.kind === 'rule' ? 'Rule' : 'Action'} "${id.name}"`;
}

/**
 * A tenant script that failed (threw, timed out, ran out of memory, never
 * called back, did not compile). The login fails closed with a generic
 * 403 access_denied; the script and `reason` go to the log and the audit event.
 */
export class ScriptFailure extends Error {
  override name = 'ScriptFailure';
  constructor(
    readonly script: ScriptId,
    readonly reason: string,
  ) {
    super(`${describeScript(script)} failed: ${reason}`);
  }
}
