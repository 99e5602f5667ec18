import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The edge only reads requests and shapes answers (docs/architecture.md, the
 * HTTP layer): no route file of http/ or pages/ reaches a repository itself,
 * and server.ts wires each route file as a plugin.
 */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

describe('the HTTP layer', () => {
  it('has no handler importing store/repos/*', () => {
    const found = [...files(join(SRC, 'http')), ...files(join(SRC, 'pages'))].flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from\s*['"]([^'"]*store\/repos\/[^'"]+)['"]/g)].map(
        (m) => `${relative(SRC, file)} -> ${m[1]}`,
      ),
    );
    assert.deepEqual(found, []);
  });

  it('registers the routes as plugins, not by calling them with the app', () => {
    const server = readFileSync(join(SRC, 'server.ts'), 'utf8');
    assert.deepEqual(server.match(/\b\w+Routes\(app/g), null);
    assert.ok((server.match(/app\.register\(\w+Routes, /g) ?? []).length >= 9);
  });
});
