import { DEFAULTS } from '../config/defaults.js';
/**
 * JavaScript run first in every fresh context, before the prelude
 * (sandbox-source.ts): it takes away what lets a script allocate memory that
 * the isolate's heap limit (`memoryLimitMb`) does not count. isolated-vm
 * counts the V8 heap and the ArrayBuffers made through its allocator; V8
 * reserves and commits some backing stores itself, and ICU objects live in
 * C++ memory behind small JS wrappers. Measured in a 32 MB isolate:
 *
 * - `new WebAssembly.Memory({initial: 16384})`: 1 GiB, filled, outside the
 *   limit. WebAssembly is removed (nothing else leads to it);
 * - `SharedArrayBuffer` (growable: `{maxByteLength}` then `grow`) and
 *   resizable `ArrayBuffer`s (`new ArrayBuffer(n, {maxByteLength})`, then
 *   `resize`): 1 GiB each, outside the limit. SharedArrayBuffer and Atomics
 *   (`Atomics.wait` would also block the isolate's thread) are removed; the
 *   ArrayBuffer constructor refuses the options bag, so every buffer is a
 *   fixed-length one that the allocator counts (and refuses past the limit);
 * - 100,000 `Intl.DateTimeFormat`s: 2.5 GB of ICU memory for 23 MB of heap.
 *   A script may make at most MAX_INTL_OBJECTS Intl objects (constructors,
 *   `segment()` and its iterators, `Locale#maximize` / `minimize`);
 *   `toLocaleString` and `localeCompare`
 *   keep working (their ICU objects are temporary and collected).
 *
 * The Intl count is per script: the expression's value, a function, starts
 * it again, and the prelude calls it before each of the login's scripts
 * (a login's scripts share its context, slot.ts).
 *
 * The originals are kept only in this closure: a script reaches the
 * replacements through `globalThis`, `Function('return this')()` and
 * `.constructor` of instances and prototypes alike (each login's context is
 * fresh, so a script can only undo this for its own login, and only by
 * deleting what gives it nothing back).
 */
export const MAX_INTL_OBJECTS = DEFAULTS.rules.intlObjects;

export const SANDBOX_HARDENING = `(function (global) {
  'use strict';
  const construct = Reflect.construct;
  const apply = Reflect.apply;
  const define = Object.defineProperty;
  const getPrototypeOf = Object.getPrototypeOf;
  delete global.WebAssembly;
  delete global.SharedArrayBuffer;
  delete global.Atomics;

  function replace(holder, key, value) {
    define(holder, key, { value: value, writable: true, configurable: true, enumerable: false });
  }
  /** A stand-in for constructor C with C's prototype, statics and name; C stays hidden. */
  function standIn(C, check) {
    const W = function () {
      check(arguments);
      if (new.target === undefined) return apply(C, this, arguments);
      return construct(C, arguments, new.target === W ? C : new.target);
    };
    define(W, 'name', { value: C.name });
    define(W, 'length', { value: C.length });
    W.prototype = C.prototype;
    for (const key of Reflect.ownKeys(C)) {
      if (key !== 'prototype' && key !== 'name' && key !== 'length') {
        define(W, key, Object.getOwnPropertyDescriptor(C, key));
      }
    }
    replace(C.prototype, 'constructor', W);
    return W;
  }

  const NativeArrayBuffer = global.ArrayBuffer;
  const SafeArrayBuffer = standIn(NativeArrayBuffer, function (args) {
    if (args.length > 1 && args[1] !== undefined) {
      throw new TypeError('resizable ArrayBuffers are not available in the sandbox');
    }
  });
  replace(global, 'ArrayBuffer', SafeArrayBuffer);

  let intlObjects = 0;
  function countIntl() {
    if (++intlObjects > ${MAX_INTL_OBJECTS}) {
      throw new RangeError('a script may create at most ${MAX_INTL_OBJECTS} Intl objects');
    }
  }
  const Intl = global.Intl;
  if (Intl) {
    for (const name of Reflect.ownKeys(Intl)) {
      const C = Intl[name];
      if (typeof C === 'function' && C.prototype) replace(Intl, name, standIn(C, countIntl));
    }
    // Methods that make a new Intl object natively count as constructors do.
    for (const C of [Intl.Locale]) {
      for (const name of ['maximize', 'minimize']) {
        const method = C && C.prototype[name];
        if (typeof method === 'function') {
          replace(C.prototype, name, function () {
            countIntl();
            return apply(method, this, []);
          });
          define(C.prototype[name], 'name', { value: name });
        }
      }
    }
    if (Intl.Segmenter) {
      // segment() objects hold an ICU break iterator, and so does each of
      // their iterators. Their prototype is patched on the first segment()
      // call (making a Segmenter up front would cost every context ~0.1 ms).
      const segment = Intl.Segmenter.prototype.segment;
      let segments = null;
      replace(Intl.Segmenter.prototype, 'segment', function (s) {
        countIntl();
        const out = apply(segment, this, [s]);
        if (segments === null) {
          segments = getPrototypeOf(out);
          const iterate = segments[Symbol.iterator];
          replace(segments, Symbol.iterator, function () {
            countIntl();
            return apply(iterate, this, []);
          });
        }
        return out;
      });
      define(Intl.Segmenter.prototype.segment, 'name', { value: 'segment' });
    }
  }
  // The login's next script starts its own count (slot.ts: a login's scripts share a context).
  return function newScript() {
    intlObjects = 0;
  };
})(globalThis)`;
