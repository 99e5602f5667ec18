import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { hashClientSecret } from '../tokens/client-secret.js';
import type { Store } from '../store/db.js';
import { type Client, deleteClient, listClients, upsertClient } from '../store/repos/clients.js';
import {
  type Connection,
  deleteConnection,
  listConnections,
  upsertConnection,
} from '../store/repos/connections.js';
import {
  deleteResourceServer,
  listResourceServers,
  type ResourceServer,
  upsertResourceServer,
} from '../store/repos/resource-servers.js';
import { getSetting, putSetting } from '../store/repos/settings.js';
import { listRoles } from '../store/repos/roles.js';
import { deleteUser, listUsers } from '../store/repos/users.js';
import type { Database } from '../store/schema.js';
import { applyUsers, canonical, prepareUserPasswords } from './apply-users.js';
import { applyRoles, applyUserAuthorization } from './apply-roles.js';
import { keepStoredSecrets } from './keep-secrets.js';
import { referenceErrors } from './references.js';
import { type TenantDoc, TenantFileError, validateTenant, WHOLE_SECTION_KEYS } from './schema.js';

type Db = Kysely<Database>;

/** What an apply did, one `kind name` entry per object (`client acme-web`, `setting rules`). */
export interface ApplyReport {
  created: string[];
  updated: string[];
  deleted: string[];
  /** Objects of the file that already matched the database. */
  unchanged: number;
  /** Secrets kept from the database because the file left their variable unset (see keepStoredSecrets). */
  kept?: string[];
}

export interface ApplyOptions {
  /** Also delete what the file does not name (see applyTenant). */
  prune?: boolean;
  /** Clock for created_at/updated_at (epoch ms). */
  now?: number;
  /**
   * client_ids of the document's clients that keep their stored secret hash
   * (their `client_secret` is absent): how the Management API updates a
   * client without knowing its secret.
   */
  keepClientSecrets?: string[];
  /** More settings to write in the same transaction (the Management API's ids, tenant/objects/sections.ts). */
  settings?: Record<string, unknown>;
}

/** Settings keys written from whole sections of the file. */
export const SETTING_SECTIONS = ['tenant', ...WHOLE_SECTION_KEYS] as const;

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `prefix` + 16 random base62 characters (`con_…`, `rs_…`). */
function newId(prefix: string): string {
  // 248 is the largest multiple of 62 below 256: rejecting above it keeps the draw uniform.
  let id = prefix;
  while (id.length < prefix.length + 16) {
    for (const b of randomBytes(24)) if (b < 248 && id.length < prefix.length + 16) id += BASE62[b % 62];
  }
  return id;
}

/**
 * Makes the database match a tenant file, idempotently: applying the same
 * file twice writes nothing the second time. Objects are keyed by
 * connection name, API identifier, client_id, and user_id (else connection
 * plus email or username); an object is replaced whole by its file version,
 * so a field removed from the file is removed from the database. A section
 * absent from the file is left alone, even with `prune`.
 *
 * `prune` deletes, within each section the file has, the connections, APIs
 * and clients it does not name. A pruned connection takes its users with it.
 * Users are pruned only when the file has a `users` section, and only in the
 * connections the file names (see applyUsers).
 *
 * Passwords are hashed before the transaction opens; every write happens in
 * one transaction, so a failure (such as a TenantFileError for a reference to
 * something neither in the file nor in the database) changes nothing.
 */
export async function applyTenant(
  store: Store,
  fileDoc: TenantDoc,
  opts: ApplyOptions = {},
): Promise<ApplyReport> {
  const now = opts.now ?? Date.now();
  const prune = opts.prune === true;
  const kept = await keepStoredSecrets(store.db, fileDoc);
  const doc = kept.doc;
  for (const id of opts.keepClientSecrets ?? []) {
    const i = doc.clients?.findIndex((c) => c.client_id === id) ?? -1;
    if (i < 0 || doc.clients![i]!.client_secret !== undefined) continue;
    kept.clients.add(id);
    kept.paths.add(`clients[${i}].client_secret`);
  }
  validateTenant(doc, undefined, kept.paths);
  const prepared = await prepareUserPasswords(store.db, doc);
  return store.db.transaction().execute(async (trx) => {
    await checkReferences(trx, doc, prune);
    const report: ApplyReport = { created: [], updated: [], deleted: [], unchanged: 0 };
    if (kept.notes.length > 0) report.kept = kept.notes;
    const connectionIds = await applyConnections(trx, doc, prune, now, report);
    await applyResourceServers(trx, doc, prune, now, report);
    await applyClients(trx, doc, prune, now, report, kept.clients);
    await applyRoles(trx, doc, prune, now, report);
    const userIds = await applyUsers(trx, doc, connectionIds, prepared, { prune, now }, report);
    await applyUserAuthorization(trx, doc, userIds, report);
    for (const key of SETTING_SECTIONS) {
      const value = doc[key];
      if (value === undefined) continue;
      const old = await getSetting(trx, key);
      if (old !== undefined && canonical(old) === canonical(value)) {
        report.unchanged++;
      } else {
        await putSetting(trx, key, value);
        (old === undefined ? report.created : report.updated).push(`setting ${key}`);
      }
    }
    for (const [key, value] of Object.entries(opts.settings ?? {})) await putSetting(trx, key, value);
    return report;
  });
}

/** References may name database objects, except those prune is about to delete. */
async function checkReferences(trx: Db, doc: TenantDoc, prune: boolean): Promise<void> {
  const errors = referenceErrors(doc, {
    connections: prune && doc.connections ? [] : (await listConnections(trx)).map((c) => c.name),
    clients: prune && doc.clients ? [] : (await listClients(trx)).map((c) => c.client.client_id),
    apis: prune && doc.resourceServers ? [] : (await listResourceServers(trx)).map((r) => r.identifier),
    roles: prune && doc.roles ? [] : (await listRoles(trx)).map((r) => r.name),
    apiScopes: new Map(
      (prune && doc.resourceServers ? [] : await listResourceServers(trx)).map((r) => [
        r.identifier,
        r.scopes.map((s) => s.value),
      ]),
    ),
  });
  if (errors.length > 0) throw new TenantFileError(errors);
}

/** Deletes a connection and its users (prune, and the Management API's DELETE), noting each in `report`. */
export async function removeConnection(trx: Db, old: Connection, report: ApplyReport): Promise<void> {
  for (const u of await listUsers(trx, old.id)) {
    await deleteUser(trx, u.user_id);
    report.deleted.push(`user ${u.user_id}`);
  }
  await deleteConnection(trx, old.id);
  report.deleted.push(`connection ${old.name}`);
}

function record(report: ApplyReport, existed: boolean, label: string): void {
  (existed ? report.updated : report.created).push(label);
}

/** Applies `connections`; returns every connection's id by name, after the changes. */
async function applyConnections(trx: Db, doc: TenantDoc, prune: boolean, now: number, report: ApplyReport) {
  const stored = new Map((await listConnections(trx)).map((c) => [c.name, c]));
  const ids = new Map([...stored].map(([name, c]) => [name, c.id]));
  if (!doc.connections) return ids;
  for (const c of doc.connections) {
    const old = stored.get(c.name);
    const desired: Connection = {
      ...c,
      enabled_clients: c.enabled_clients ?? [],
      id: old?.id ?? newId('con_'),
    };
    ids.set(c.name, desired.id);
    if (old && canonical(old) === canonical(desired)) report.unchanged++;
    else {
      await upsertConnection(trx, desired, now);
      record(report, old !== undefined, `connection ${c.name}`);
    }
  }
  if (prune) {
    const named = new Set(doc.connections.map((c) => c.name));
    for (const [name, old] of stored) {
      if (named.has(name)) continue;
      await removeConnection(trx, old, report);
      ids.delete(name);
    }
  }
  return ids;
}

async function applyResourceServers(
  trx: Db,
  doc: TenantDoc,
  prune: boolean,
  now: number,
  report: ApplyReport,
) {
  if (!doc.resourceServers) return;
  const stored = new Map((await listResourceServers(trx)).map((r) => [r.identifier, r]));
  for (const r of doc.resourceServers) {
    const old = stored.get(r.identifier);
    const desired: ResourceServer = { ...r, scopes: r.scopes ?? [], id: old?.id ?? newId('rs_') };
    if (old && canonical(old) === canonical(desired)) report.unchanged++;
    else {
      await upsertResourceServer(trx, desired, now);
      record(report, old !== undefined, `api ${r.identifier}`);
    }
  }
  if (prune) {
    const named = new Set(doc.resourceServers.map((r) => r.identifier));
    for (const [identifier, old] of stored) {
      if (named.has(identifier)) continue;
      await deleteResourceServer(trx, old.id);
      report.deleted.push(`api ${identifier}`);
    }
  }
}

async function applyClients(
  trx: Db,
  doc: TenantDoc,
  prune: boolean,
  now: number,
  report: ApplyReport,
  keepSecret: Set<string>,
) {
  if (!doc.clients) return;
  const stored = new Map((await listClients(trx)).map((c) => [c.client.client_id, c]));
  for (const { client_secret, ...client } of doc.clients) {
    const old = stored.get(client.client_id);
    const secretHash = keepSecret.has(client.client_id)
      ? (old?.secretHash ?? null)
      : client_secret === undefined
        ? null
        : hashClientSecret(client_secret);
    const desired: Client = client;
    if (old && old.secretHash === secretHash && canonical(old.client) === canonical(desired))
      report.unchanged++;
    else {
      await upsertClient(trx, desired, secretHash, now);
      record(report, old !== undefined, `client ${client.client_id}`);
    }
  }
  if (prune) {
    const named = new Set(doc.clients.map((c) => c.client_id));
    for (const id of stored.keys()) {
      if (named.has(id)) continue;
      await deleteClient(trx, id);
      report.deleted.push(`client ${id}`);
    }
  }
}
