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
 * ran and indexed loops, so no script's code runs while it works.
 *
 * Not covered (a script would have to reach for them on purpose, and they
 * only reach the same login's later scripts): properties set on built-in
 * functions themselves (`Array.prototype.map.x`), objects reached only
 * through other built-ins' results, and top-level `let`/`const` declared by
 * breaking out of the rule's wrapper.
 */
export const SHARED_STATE = `(function (global) {
  const ownKeys = Reflect.ownKeys;
  const getDesc = Reflect.getOwnPropertyDescriptor;
  const define = Reflect.defineProperty;
  const remove = Reflect.deleteProperty;
  const getProto = Reflect.getPrototypeOf;
  const setProto = Reflect.setPrototypeOf;
  const isExtensible = Reflect.isExtensible;
  const records = [];
  const seen = new Set();

  function remember(o) {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return;
    seen.add(o);
    const keys = ownKeys(o);
    const descs = [];
    for (let i = 0; i < keys.length; i++) descs[i] = getDesc(o, keys[i]);
    records.push({ o: o, proto: getProto(o), extensible: isExtensible(o), keys: keys, descs: descs });
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

  function sameDesc(d, want) {
    return d.value === want.value && d.get === want.get && d.set === want.set &&
      d.writable === want.writable && d.enumerable === want.enumerable && d.configurable === want.configurable;
  }

  return function putBack() {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const o = r.o;
      if (getProto(o) !== r.proto && !setProto(o, r.proto)) return false;
      if (isExtensible(o) !== r.extensible) return false;
      const keys = r.keys;
      const now = ownKeys(o);
      let same = now.length === keys.length;
      for (let j = 0; same && j < keys.length; j++) same = now[j] === keys[j];
      if (!same) {
        for (let j = 0; j < now.length; j++) {
          let known = false;
          for (let k = 0; !known && k < keys.length; k++) known = keys[k] === now[j];
          if (!known && !remove(o, now[j])) return false;
        }
      }
      const descs = r.descs;
      for (let j = 0; j < keys.length; j++) {
        const d = getDesc(o, keys[j]);
        if (d === undefined || !sameDesc(d, descs[j])) {
          if (!define(o, keys[j], descs[j])) return false;
        }
      }
    }
    return true;
  };
})`;
