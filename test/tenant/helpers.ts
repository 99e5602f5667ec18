import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/db.js';
import { parseTenantFile } from '../../src/tenant/parse.js';
import { type TenantDoc, TenantFileError } from '../../src/tenant/schema.js';

/** The tenant-file reference (docs/), with a real bcrypt hash for bob (password `bob-imported-pw`). */
export const exampleText = readFileSync(new URL('../../docs/tenant-reference.yaml', import.meta.url), 'utf8');

export const ENV = {
  ACME_WEB_SECRET: 'acme-web-secret-0123456789',
  ALICE_PASSWORD: 'Alice-correct-horse',
  PARTNER_API_KEY: 'partner-api-key-0123',
};
export const BOB_PASSWORD = 'bob-imported-pw';

/** A fresh parse of the example (a new object each time, safe to change). */
export function example(): TenantDoc {
  return parseTenantFile(exampleText, ENV);
}

/** The errors a tenant file text gives (fails when it parses). */
export function errorsOf(text: string, env: Record<string, string> = ENV): string[] {
  try {
    parseTenantFile(text, env);
  } catch (e) {
    assert.ok(e instanceof TenantFileError, `expected a TenantFileError, got ${e}`);
    assert.equal(e.message, e.errors.join('\n'));
    return e.errors;
  }
  assert.fail('expected the tenant file to be rejected');
}

/** The errors a document gives (as JSON text, which is YAML). */
export function docErrors(doc: unknown): string[] {
  return errorsOf(JSON.stringify(doc));
}

/** The rows of every table apply writes, in a stable order. */
export async function dump(store: Store) {
  const db = store.db;
  return {
    settings: await db.selectFrom('settings').selectAll().orderBy('key').execute(),
    connections: await db.selectFrom('connections').selectAll().orderBy('name').execute(),
    resource_servers: await db.selectFrom('resource_servers').selectAll().orderBy('identifier').execute(),
    clients: await db.selectFrom('clients').selectAll().orderBy('client_id').execute(),
    users: await db.selectFrom('users').selectAll().orderBy('id').execute(),
  };
}

/** Runs `fn` and returns the TenantFileError it throws. */
export async function rejection(fn: () => Promise<unknown>): Promise<TenantFileError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof TenantFileError, `expected a TenantFileError, got ${e}`);
    return e;
  }
  assert.fail('expected a TenantFileError');
}
