/**
 * JavaScript for the prelude (sandbox-source.ts): what a login's scripts
 * share in their one context (the global object, the built-in
 * constructors, their prototypes and namespaces, and the intrinsics reached
 * only through instances, such as the iterator and generator prototypes) is
 * recorded once the context is ready, and put back before each script: a
 * property a script added is deleted, one it changed or deleted is defined
 * again, a prototype it swapped is set back. So no script of a login sees
 * the globals or the built-in changes of the one before it (and no login
 * sees another's: each login has a context of its own).
 *
 * Evaluates to `(global) => putBack`, where `putBack()` answers false when
 * something cannot be put back (a script froze a built-in, made a property
 * non-configurable, declared a global `var`): the host then runs the next
 * script in a new context. It uses only functions taken before any script
 * ran, and indexed loops.
 *
 * Cheap enough to run before every script: on the global object and what
 * scripts usually change (the Object, Array, Function, String, Number,
 * Promise and Error prototypes, JSON, Math) every own property is checked
 * (a data property by value, an accessor by its functions); on the other
 * built-ins, the enumerable ones, which is where a script's assignments
 * (`Date.prototype.x = …`) land.
 *
 * Not covered (a script would have to reach for them on purpose, and they
 * only reach the same login's later scripts): replacing an existing method
 * of another built-in (`Date.prototype.toISOString = …`), non-enumerable or
 * symbol properties added to one with defineProperty, properties set
 * on built-in functions themselves (`Array.prototype.map.x`), objects
 * reached only through other built-ins' results, a data property turned
 * into an accessor that returns the original value, and top-level
 * `let`/`const` declared by breaking out of the rule's wrapper. Reading a
 * property back may call an accessor a script put there, inside the
 * script's own time limit.
 */
export const SHARED_STATE = `(function (global) {
  const ownKeys = Reflect.ownKeys;
  const getDesc = Reflect.getOwnPropertyDescriptor;
  const define = Reflect.defineProperty;
  const remove = Reflect.deleteProperty;
  const getProto = Reflect.getPrototypeOf;
  const setProto = Reflect.setPrototypeOf;
  const isExtensible = Reflect.isExtensible;
  const keysOf = Object.keys;
  const hasOwn = Object.hasOwn;
  /** Where all own keys are compared (scripts extend these); elsewhere the enumerable ones. */
  const fully = [
    global,
    Object.prototype,
    Array.prototype,
    Function.prototype,
    String.prototype,
    Number.prototype,
    Promise.prototype,
    Error.prototype,
    JSON,
    Math,
  ];
  const records = [];
  const seen = new Set();
  const ACCESSOR = {};

  function remember(o) {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return;
    seen.add(o);
    const full = fully.indexOf(o) !== -1;
    // Elsewhere only the enumerable keys: built-ins have none of their own,
    // so a script's assignments show, and the check stays cheap.
    const keys = full ? ownKeys(o) : keysOf(o);
    const descs = [];
    // Flat, for the check: a data property's value, or for an accessor the
    // record's own marker (no script value can be it) and its getter.
    const values = [];
    const getters = [];
    for (let i = 0; i < keys.length; i++) {
      const d = getDesc(o, keys[i]);
      descs[i] = d;
      values[i] = 'value' in d ? d.value : ACCESSOR;
      getters[i] = d.get;
    }
    const record = { o: o, proto: getProto(o), extensible: isExtensible(o), keys: keys, descs: descs, values: values, getters: getters, full: full };
    if (full) records.unshift(record);
    else records.push(record);
  }
  /** o, and the objects and functions in its own data properties, with their prototypes. */
  function rememberAll(o, depth) {
    remember(o);
    if (depth === 0) return;
    const keys = ownKeys(o);
    for (let i = 0; i < keys.length; i++) {
      const d = getDesc(o, keys[i]);
      const v = d && d.value;
      if (v === null || (typeof v !== 'object' && typeof v !== 'function') || v === global) continue;
      if (typeof v === 'function') {
        const p = getDesc(v, 'prototype');
        // Constructors and their prototypes; plain built-in methods are left out.
        if (!p || p.value === null || typeof p.value !== 'object') continue;
        remember(v);
        rememberAll(p.value, 0);
      } else if (depth > 1) {
        rememberAll(v, depth - 1);
      } else {
        remember(v);
      }
    }
  }

  remember(Object.prototype);
  rememberAll(global, 2);
  const gen = function* () {};
  const asyncGen = async function* () {};
  const hidden = [
    getProto(gen),
    gen.prototype && getProto(gen.prototype),
    getProto(getProto(gen.prototype)),
    getProto(async function () {}),
    getProto(asyncGen),
    getProto(asyncGen.prototype),
    getProto(getProto(asyncGen.prototype)),
    getProto([][Symbol.iterator]()),
    getProto(new Map()[Symbol.iterator]()),
    getProto(new Set()[Symbol.iterator]()),
    getProto(''[Symbol.iterator]()),
    getProto(/a/[Symbol.matchAll]('a')),
    getProto(Uint8Array),
    getProto(Uint8Array.prototype),
  ];
  for (let i = 0; i < hidden.length; i++) {
    const h = hidden[i];
    remember(h);
    const c = h && getDesc(h, 'constructor');
    if (c && typeof c.value === 'function') remember(c.value);
  }

  function same(a, b) {
    if (a.length !== b.length) return false;
    for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
    return true;
  }

  return function putBack() {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const o = r.o;
      if (getProto(o) !== r.proto && !setProto(o, r.proto)) return false;
      if (isExtensible(o) !== r.extensible) return false;
      const keys = r.keys;
      const now = r.full ? ownKeys(o) : keysOf(o);
      // The same own keys (all of them, or the enumerable ones) in the same
      // order: every recorded key is still an own property, so a data
      // property is checked by its value alone (the common case, and cheap).
      const present = same(now, keys);
      if (!present) {
        for (let j = 0; j < now.length; j++) {
          let known = false;
          for (let k = 0; !known && k < keys.length; k++) known = keys[k] === now[j];
          if (!known && !remove(o, now[j])) return false;
        }
      }
      const values = r.values;
      for (let j = 0; j < keys.length; j++) {
        const key = keys[j];
        const value = values[j];
        let changed;
        if (value !== ACCESSOR) {
          changed = (!present && !hasOwn(o, key)) || o[key] !== value;
        } else {
          const d = getDesc(o, key);
          changed = d === undefined || d.get !== r.getters[j] || d.set !== r.descs[j].set;
        }
        if (changed && !define(o, key, r.descs[j])) return false;
      }
    }
    return true;
  };
})`;
