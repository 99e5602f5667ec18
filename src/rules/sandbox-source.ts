import { ACTION_INPUT_SHAPE, RULE_INPUT_SHAPE } from './inputs.js';
import { SANDBOX_ACTION_API } from './sandbox-action-api.js';

/** The global whose getter starts a script (see entrySource). */
export const ENTRY_KEY = '__tesseraEntry';

/**
 * JavaScript that runs inside the isolate, in every fresh context, before
 * the login's tenant scripts: a function of the global object and the
 * hardening's per-script reset (slot.ts calls it). It defines the globals a script may use
 * (`UnauthorizedError`, `console`, `setTimeout`/`clearTimeout`, `fetch`, and
 * `configuration` for rules) and evaluates to a driver function the host
 * calls with a command:
 *
 * - `input(inputJson, fetchRef, onLoop)` (just before the script, runs no
 *   script code): keeps the script's data (a JSON copy) and the host's fetch
 *   bridge (an isolated-vm Reference, kept in this closure so the tenant's
 *   code never sees it; none on the loop) for the script compiled next to
 *   run, and whether it runs on the host's event loop (loop-runs.ts): there
 *   `fetch` throws and marks the state `moved`, whatever the script then
 *   does, and the host runs the script again on the isolate's thread;
 * - the script, compiled as `ENTRY_KEY(script)` (entrySource), then reads
 *   the entry before any of its own code runs: the prelude starts the
 *   script's state, sets `configuration` and `auth0` for rules, then calls
 *   the rule (`entry(user, context, callback)`) or loads the action module
 *   (`entry(exports, module)`) and calls `onExecutePostLogin(event, api)`.
 *   The entry opens once per input: the login's scripts run in its context
 *   one after another (slot.ts), each with a state of its own (newRun);
 * - `timer(fetchRef)`: runs the earliest pending `setTimeout` callback (the
 *   host waits out its delay in between, outside the isolate), on the
 *   isolate's thread, where fetch works: it brings the fetch bridge;
 * - the script's run and `timer` return the state when the script has finished
 *   synchronously, saving the host a call;
 * - `ready()`: nothing (the host enters a context made ahead once, slot.ts);
 * - `state()`: the outcome as a JSON string: `done` (with the rule's user
 *   and context, or the action's effects), `unauthorized`, `failed`,
 *   `pending` (with `wait`, the ms until the next timer, when there is one),
 *   or `moved` (above).
 *
 * Every call returns to the host with the microtask queue drained, inside
 * isolated-vm's timeout, so an `await` continuation can never run unbounded.
 * `fetch` blocks the isolate's thread (applySyncPromise) while the host
 * fetches, which keeps all of a script's JavaScript under that timeout.
 */
export const SANDBOX_PRELUDE = `function (global, newScript) {
  'use strict';
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const create = Object.create;
  const define = Reflect.defineProperty;
  let logs = [];
  let timers = [];
  let clock = 0;
  let nextTimer = 1;
  let input = null;
  let inputJson = null;
  let fetchRef = null;
  /** The script runs on the host's event loop (a sync call): fetch cannot be answered there. */
  let onLoop = false;
  /** It called fetch on the loop: its outcome is void, the host runs it again on the isolate's thread. */
  let moved = false;
  let outcome = null;
  let effects = null;
  /** Counts the login's scripts: what an earlier one's callback, api or promise does later is ignored. */
  let run = 0;
  /**
   * A new script of the login (its context is the login's, slot.ts):
   * nothing of the last one's run is its own (outcome, effects, timers,
   * console output, Intl count); the globals an earlier one set stay.
   */
  function newRun() {
    run++;
    logs = [];
    timers = [];
    outcome = null;
    effects = null;
    input = null;
    moved = false;
    newScript();
  }
  /** The script's state, from its input. */
  function begin() {
    effects = {
      accessClaims: create(null),
      idClaims: create(null),
      scopeOps: [],
      deny: null,
      multifactor: null,
      redirect: null,
      appMetadata: null,
      userMetadata: null,
    };
    input = parse(inputJson);
    inputJson = null;
  }
  // Metadata writes are recorded as top-level patches (null removes a key),
  // persisted by the host once the whole login succeeded.
  function patchMetadata(fx, field, key, value) {
    if (fx[field] === null) fx[field] = Object.create(null);
    fx[field][String(key)] = value === undefined ? null : value;
  }
  function metadataWriter(field) {
    const fx = effects;
    const userId = input.user.user_id;
    return function (id, metadata) {
      if (String(id) !== String(userId)) {
        return Promise.reject(new Error('auth0.users can only update the user who is logging in'));
      }
      if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
        return Promise.reject(new TypeError('metadata must be an object'));
      }
      for (const k of Object.keys(metadata)) patchMetadata(fx, field, k, metadata[k]);
      return Promise.resolve();
    };
  }

  function text(v) {
    if (typeof v === 'string') return v;
    try {
      const s = stringify(v);
      return s === undefined ? String(v) : s;
    } catch (e) {
      return String(v);
    }
  }
  function errorText(e) {
    try {
      if (e instanceof Error) return e.name + ': ' + e.message;
      return 'non-Error value ' + text(e);
    } catch (_) {
      return 'an unreadable error';
    }
  }
  function fail(message) {
    if (!outcome) outcome = { status: 'failed', error: message };
  }

  class UnauthorizedError extends Error {
    constructor(message) {
      super(message);
      this.name = 'UnauthorizedError';
    }
  }
  function log() {
    if (logs.length < 50) logs.push(Array.prototype.map.call(arguments, text).join(' ').slice(0, 2000));
  }
  function setTimeout(fn, ms) {
    if (typeof fn !== 'function') throw new TypeError('setTimeout needs a function');
    const args = Array.prototype.slice.call(arguments, 2);
    const id = nextTimer++;
    timers.push({ id: id, due: clock + Math.max(0, Number(ms) || 0), fn: fn, args: args });
    return id;
  }
  function clearTimeout(id) {
    const i = timers.findIndex(function (t) { return t.id === id; });
    if (i >= 0) timers.splice(i, 1);
  }
  async function fetch(url, init) {
    if (onLoop) {
      moved = true;
      throw new Error('fetch cannot run here; the script is run again where it can');
    }
    const o = init == null ? {} : { method: init.method, headers: init.headers, body: init.body };
    const r = parse(fetchRef.applySyncPromise(undefined, [String(url), stringify(o)]));
    return {
      status: r.status,
      ok: r.ok,
      statusText: r.statusText,
      url: r.url,
      headers: r.headers,
      text: async function () { return r.body; },
      json: async function () { return parse(r.body); },
    };
  }
  global.UnauthorizedError = UnauthorizedError;
  global.console = { log: log, info: log, warn: log, error: log, debug: log };
  global.setTimeout = setTimeout;
  global.clearTimeout = clearTimeout;
  global.fetch = fetch;

  function startRule(rule) {
    const mine = run;
    function callback(err, user, context) {
      if (outcome || mine !== run) return;
      if (err) {
        const unauthorized = err instanceof UnauthorizedError || err.name === 'UnauthorizedError';
        outcome = unauthorized
          ? { status: 'unauthorized', message: String(err.message == null ? '' : err.message) }
          : { status: 'failed', error: 'called back with ' + errorText(err) };
        return;
      }
      outcome = { status: 'done', user: user || input.user, context: context || input.context, effects: effects };
    }
    const result = rule(input.user, input.context, callback);
    if (result && typeof result.then === 'function') {
      result.then(undefined, function (e) { if (mine === run) fail(errorText(e)); });
    }
  }

${SANDBOX_ACTION_API}
  function state() {
    if (moved) return stringify({ status: 'moved' });
    let o = outcome;
    if (!o) {
      o = { status: 'pending' };
      for (const t of timers) if (o.wait === undefined || t.due - clock < o.wait) o.wait = t.due - clock;
    }
    try {
      return stringify({ status: o.status, error: o.error, message: o.message, user: o.user, context: o.context, effects: o.effects, wait: o.wait, logs: logs });
    } catch (e) {
      return stringify({ status: 'failed', error: 'its result could not be read: ' + errorText(e), logs: logs });
    }
  }

  let armed = false;
  /** The tenant's script is compiled as ENTRY_KEY(script): its first step, before any of its code. */
  const entry = function () {
    if (!armed) return undefined;
    armed = false;
    try {
      begin();
      if (input.kind === 'rule') {
        put(global, 'configuration', input.configuration);
        put(global, 'auth0', {
          users: {
            updateAppMetadata: metadataWriter('appMetadata'),
            updateUserMetadata: metadataWriter('userMetadata'),
          },
        });
      } else {
        // An action after the login's rules: the rules' own globals are not an action's.
        delete global.configuration;
        delete global.auth0;
      }
    } catch (e) {
      fail(errorText(e));
    }
    return start;
  };
  function put(holder, key, value) {
    if (!define(holder, key, { value: value, writable: true, configurable: true, enumerable: true })) {
      throw new TypeError('the global ' + key + ' cannot be set');
    }
  }
  define(global, '${ENTRY_KEY}', { get: entry, enumerable: false, configurable: false });
  function start(fn) {
    try {
      if (input === null || outcome) return state();
      if (typeof fn !== 'function') fail('the script does not evaluate to a function');
      else if (input.kind === 'rule') startRule(fn);
      else startAction(fn);
    } catch (e) {
      fail(errorText(e));
    }
    return outcome ? state() : undefined;
  }

  // Warm-up runs of the rule path and of the action path with blank inputs
  // (RULE_INPUT_SHAPE, ACTION_INPUT_SHAPE): a login's first script would
  // otherwise meet every line of the prelude, and the shapes of its input's
  // objects, for the first time (about 0.05 ms, twice what the same run
  // costs once they are known). No tenant code runs here. The rule run is
  // undone at once. The action's promise settles when this boot's call ends
  // (isolated-vm drains the microtasks then), and the first 'input' call
  // starts a new run (newRun), which undoes it; its calls of the api touch
  // only the warm-up's own effects.
  inputJson = ${JSON.stringify(JSON.stringify(RULE_INPUT_SHAPE))};
  armed = true;
  entry()(function (user, context, callback) { callback(null, user, context); });
  newRun();
  inputJson = null;
  armed = false;
  delete global.configuration;
  delete global.auth0;
  inputJson = ${JSON.stringify(JSON.stringify(ACTION_INPUT_SHAPE))};
  armed = true;
  entry()(function (exports) {
    exports.onExecutePostLogin = async function (event, api) {
      api.accessToken.setCustomClaim('', event.user.app_metadata);
      api.idToken.setCustomClaim('', null);
      api.accessToken.addScope('');
    };
  });
  armed = false;

  return function drive(cmd, a, b, c) {
    if (cmd === 'input') {
      // No script code runs here: it only keeps the values, for the script compiled next.
      if (inputJson !== null || (input !== null && outcome === null)) {
        throw new Error("a context runs a login's scripts one at a time");
      }
      newRun();
      inputJson = a;
      fetchRef = b;
      onLoop = c === true;
      armed = true;
      return;
    }
    if (cmd === 'state') return state();
    if (cmd === 'ready') return;
    try {
      if (cmd === 'timer') {
        // Timers always run on the isolate's thread (the host waits out their delay).
        onLoop = false;
        fetchRef = a;
        timers.sort(function (x, y) { return x.due - y.due || x.id - y.id; });
        const t = timers.shift();
        if (t) {
          clock = t.due;
          t.fn.apply(undefined, t.args);
        }
      }
    } catch (e) {
      fail(errorText(e));
    }
    return outcome ? state() : undefined;
  };
}`;

/**
 * The source compiled for a wrapped script: the prelude's entry called with
 * the script's value, so that one call runs the script and starts it. The
 * entry is taken before any of the script's code runs; line numbers stay.
 */
export function entrySource(wrapped: string): string {
  return `${ENTRY_KEY}(${wrapped})`;
}

/** Lines wrapRule and wrapAction put before the tenant's first line (for error positions). */
export const WRAPPER_LINES_BEFORE = 1;

/** The tenant's rule source as a script whose value is the rule function. */
export function wrapRule(script: string): string {
  // Auth0 rules are function expressions, often with a trailing semicolon. Leading
  // whitespace stays, so that line and column numbers are the tenant's own.
  return `(\n${script.trimEnd().replace(/;+$/, '')}\n)`;
}

/** The tenant's action source as a CommonJS-style module function. */
export function wrapAction(code: string): string {
  return `(function (exports, module) {\n${code}\n})`;
}
