import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The import graph of src/ against the layers (docs/architecture.md): an
 * import may point down or sideways within its layer, never up. Type-only
 * imports count too: a type names the layer it lives in.
 */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Each top-level module of src/ (a folder, or a file without `.ts`) and its layer; higher imports lower. */
const LAYERS: Record<string, number> = {
  schemas: 0,
  errors: 0,
  config: 0,
  store: 1,
  // The login's context, step and snapshot types (and the failure kinds), read by the domain and login/.
  'login-types': 1,
  // The domain. `runtime` (the services a request reaches) is built from these and used by them.
  identity: 2,
  mfa: 2,
  protection: 2,
  rules: 2,
  keys: 2,
  tokens: 2,
  notify: 2,
  events: 2,
  tenant: 2,
  runtime: 2,
  login: 3,
  oauth: 4,
  http: 5,
  management: 5,
  pages: 5,
  server: 6,
  cli: 7,
};
const DOMAIN = 2;

/**
 * Arrows that still point up, each with the issue item that removes it (none
 * left since token issuing moved to tokens/). The test checks this list is
 * exact: a new upward import fails, and a fixed one must be taken off the list.
 */
const KNOWN_VIOLATIONS: string[] = [];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

const moduleOf = (file: string) => relative(SRC, file).split(/[\\/]/)[0]!.replace(/\.ts$/, '');

/** Every relative import, export-from and dynamic import of a file, resolved. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gms),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

interface Arrow {
  from: string;
  to: string;
}
const arrows: Arrow[] = files(SRC).flatMap((file) =>
  imports(file).map((target) => ({ from: relative(SRC, file), to: relative(SRC, target) })),
);
const layerOf = (path: string) => LAYERS[moduleOf(join(SRC, path))];

describe('layers: dependencies point downward only', () => {
  it('knows the layer of every module of src/', () => {
    const unknown = [...new Set(files(SRC).map(moduleOf))].filter((m) => LAYERS[m] === undefined);
    assert.deepEqual(unknown, []);
  });

  it('has no import from a lower layer to a higher one (but the known ones)', () => {
    const up = arrows
      .filter((a) => layerOf(a.from)! < layerOf(a.to)!)
      .map((a) => `${a.from} -> ${a.to}`)
      .sort();
    assert.deepEqual([...new Set(up)], [...KNOWN_VIOLATIONS].sort());
  });

  it('reports the arrows between domain modules (allowed)', (t) => {
    const sideways = arrows.filter(
      (a) =>
        layerOf(a.from) === DOMAIN &&
        layerOf(a.to) === DOMAIN &&
        moduleOf(join(SRC, a.from)) !== moduleOf(join(SRC, a.to)),
    );
    const pairs = new Map<string, number>();
    for (const a of sideways) {
      const key = `${moduleOf(join(SRC, a.from))} -> ${moduleOf(join(SRC, a.to))}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    for (const [pair, n] of [...pairs].sort()) t.diagnostic(`domain: ${pair} (${n})`);
  });
});
