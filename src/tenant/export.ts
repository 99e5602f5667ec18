import { stringify } from 'yaml';
import type { Store } from '../store/db.js';
import { listClients } from '../store/repos/clients.js';
import { listConnections } from '../store/repos/connections.js';
import { listResourceServers } from '../store/repos/resource-servers.js';
import { getSetting } from '../store/repos/settings.js';
import { listRoles, userDirectPermissions, userRoleNames } from '../store/repos/roles.js';
import { listUsers } from '../store/repos/users.js';
import { SETTING_SECTIONS } from './apply.js';
import { PROFILE_FIELDS } from './apply-users.js';
import { child, isMapping } from '../schemas/path.js';
import { escapeReferences, SECRET_SLOT, VERBATIM } from './parse.js';
import type { ClientDoc, ConnectionDoc, ResourceServerDoc, TenantDoc, UserDoc } from './schema.js';

/** An environment variable name made of parts: `CLIENT_SECRET` + `acme-web` → `CLIENT_SECRET_ACME_WEB`. */
export function secretVariable(...parts: string[]): string {
  return parts
    .map((p) => p.toUpperCase().replace(/[^A-Z0-9]+/g, '_'))
    .join('_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * Reads the tenant back in the tenant file's shape, without internal ids.
 * Secrets never leave the database: a confidential client's `client_secret`,
 * each action secret and each rules-config value is exported as a `${VAR}`
 * reference (CLIENT_SECRET_<CLIENT_ID>, ACTION_SECRET_<ACTION>_<KEY>,
 * RULES_CONFIG_<KEY>) to fill from the environment on apply; users carry no
 * password or hash (apply keeps a stored hash when the file gives none). Write
 * the result with stringifyTenant, which escapes every other `${`. Applying
 * the exported file, with those variables set, changes nothing.
 * `users: false` leaves the users section out.
 */
export async function exportTenant(store: Store, opts: { users?: boolean } = {}): Promise<TenantDoc> {
  const db = store.db;
  const doc: TenantDoc = {};
  // Copies: the stored settings are frozen (getSetting), and the document is the caller's to change.
  const tenant = await getSetting<TenantDoc['tenant']>(db, 'tenant');
  if (tenant !== undefined) doc.tenant = structuredClone(tenant) as TenantDoc['tenant'];

  const connections = await listConnections(db);
  if (connections.length > 0)
    doc.connections = connections.map(({ id: _id, ...c }) => c as unknown as ConnectionDoc);
  const apis = await listResourceServers(db);
  if (apis.length > 0)
    doc.resourceServers = apis.map(({ id: _id, ...r }) => r as unknown as ResourceServerDoc);
  const clients = await listClients(db);
  if (clients.length > 0) {
    doc.clients = clients.map(({ client: { name, client_id, ...rest } }) => {
      const secret =
        rest.token_endpoint_auth_method === 'none'
          ? {}
          : { client_secret: `\${${secretVariable('CLIENT_SECRET', client_id)}}` };
      return { name, client_id, ...secret, ...rest } as ClientDoc;
    });
  }

  const roles = await listRoles(db);
  if (roles.length > 0)
    doc.roles = roles.map(({ id: _id, permissions, ...r }) =>
      permissions.length > 0 ? { ...r, permissions } : r,
    );

  if (opts.users !== false) {
    const names = new Map(connections.map((c) => [c.id, c.name]));
    const users: UserDoc[] = [];
    for (const u of await listUsers(db)) {
      const out: UserDoc = { connection: names.get(u.connection_id)!, user_id: u.user_id };
      if (u.email !== null) out.email = u.email;
      if (u.username !== null) out.username = u.username;
      if (u.email_verified) out.email_verified = true;
      for (const k of PROFILE_FIELDS) if (typeof u.profile[k] === 'string') out[k] = u.profile[k];
      if (u.blocked) out.blocked = true;
      if (Object.keys(u.app_metadata).length > 0) out.app_metadata = u.app_metadata;
      if (Object.keys(u.user_metadata).length > 0) out.user_metadata = u.user_metadata;
      const userRoles = await userRoleNames(db, u.user_id);
      if (userRoles.length > 0) out.roles = userRoles;
      const direct = await userDirectPermissions(db, u.user_id);
      if (direct.length > 0) out.permissions = direct;
      users.push(out);
    }
    if (users.length > 0) doc.users = users;
  }

  for (const key of SETTING_SECTIONS) {
    if (key === 'tenant') continue;
    const stored = await getSetting<any>(db, key);
    if (stored === undefined) continue;
    const value = structuredClone(stored);
    if (key === 'actions') {
      for (const a of value as { name: string; secrets?: Record<string, string> }[]) {
        for (const k of Object.keys(a.secrets ?? {}))
          a.secrets![k] = `\${${secretVariable('ACTION_SECRET', a.name, k)}}`;
      }
    }
    if (key === 'rulesConfigs') {
      for (const c of value as { key: string; value: string }[])
        c.value = `\${${secretVariable('RULES_CONFIG', c.key)}}`;
    }
    doc[key] = value;
  }
  return doc;
}

/**
 * Writes a tenant document as YAML. Every string is escaped (`${` → `$${`)
 * so parsing gives it back literally, except the secret references
 * exportTenant put in place of secrets.
 */
export function stringifyTenant(doc: TenantDoc): string {
  return (
    exportHeader(secretVariables(doc, '')) +
    stringify(escapeTree(doc, ''), { lineWidth: 0, aliasDuplicateObjects: false })
  );
}

/** The `${VAR}` references in the secret slots of a document, in file order. */
function secretVariables(node: unknown, path: string): string[] {
  if (typeof node === 'string') {
    const name = SECRET_SLOT.test(path) ? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(node)?.[1] : undefined;
    return name ? [name] : [];
  }
  if (Array.isArray(node)) return node.flatMap((v, i) => secretVariables(v, child(path, i)));
  if (isMapping(node)) return Object.entries(node).flatMap(([k, v]) => secretVariables(v, child(path, k)));
  return [];
}

/** What an exported file says first: where its secrets are, and what a fresh database needs. */
function exportHeader(variables: string[]): string {
  const lines = [
    'Written by `tessera export`: no secret, password or hash is in this file.',
    'Each secret names an environment variable instead. `tessera apply` of this file to',
    'the database it came from keeps the stored secret of every variable left unset.',
  ];
  if (variables.length === 0) lines.push('A fresh database needs no variable set.');
  else {
    lines.push('A fresh database needs these variables set:');
    for (const v of [...new Set(variables)]) lines.push(`  ${v}`);
  }
  return `${lines.map((l) => `# ${l}`).join('\n')}\n\n`;
}

function escapeTree(node: unknown, path: string): unknown {
  if (typeof node === 'string')
    return SECRET_SLOT.test(path) || VERBATIM.test(path) ? node : escapeReferences(node);
  if (Array.isArray(node)) return node.map((v, i) => escapeTree(v, child(path, i)));
  if (isMapping(node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      Object.defineProperty(out, k, {
        value: escapeTree(v, child(path, k)),
        enumerable: true,
        writable: true,
      });
    }
    return out;
  }
  return node;
}
