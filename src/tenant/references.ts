import { isManagementAudience, MANAGEMENT_SCOPES } from '../schemas/management.js';
import type { TenantDoc } from './schema.js';

/** Names that exist outside the file (in the database) and may be referred to. */
export interface KnownNames {
  connections: Iterable<string>;
  clients: Iterable<string>;
  apis: Iterable<string>;
  /** Role names in the database (for users' `roles`). */
  roles?: Iterable<string>;
  /** The scope values of the database's APIs, by identifier (for permissions). */
  apiScopes?: Map<string, string[]>;
}

/**
 * Cross-reference checks on a tenant file whose shape is valid: realm
 * clashes, duplicate users, and references between objects (a user's
 * connection, a connection's enabled clients, the default directory and
 * audience, client grants). A reference may name an object of the file or,
 * when `known` is given (at apply time), one in the database; without
 * `known` (at parse time) a reference to something absent from the file is
 * not an error yet, since the database may hold it.
 */
export function referenceErrors(doc: TenantDoc, known?: KnownNames): string[] {
  const errors: string[] = [];
  const connections = new Set([...(doc.connections ?? []).map((c) => c.name), ...(known?.connections ?? [])]);
  const clients = new Set([...(doc.clients ?? []).map((c) => c.client_id), ...(known?.clients ?? [])]);
  const apis = new Set([...(doc.resourceServers ?? []).map((r) => r.identifier), ...(known?.apis ?? [])]);
  const ref = (set: Set<string>, what: string, value: string, path: string) => {
    if (known && !set.has(value)) errors.push(`${path}: unknown ${what} ${JSON.stringify(value)}`);
  };

  const realmOwner = new Map((doc.connections ?? []).map((c) => [c.name, c.name]));
  doc.connections?.forEach((c, i) => {
    c.realms?.forEach((realm, j) => {
      const owner = realmOwner.get(realm);
      if (owner !== undefined && owner !== c.name) {
        errors.push(
          `connections[${i}].realms[${j}]: realm "${realm}" is already used by connection "${owner}"`,
        );
      } else realmOwner.set(realm, c.name);
    });
    for (const [j, id] of (c.enabled_clients ?? []).entries()) {
      ref(clients, 'client', id, `connections[${i}].enabled_clients[${j}]`);
    }
  });

  if (doc.tenant?.default_directory !== undefined) {
    ref(connections, 'connection', doc.tenant.default_directory, 'tenant.default_directory');
  }
  if (doc.tenant?.default_audience !== undefined) {
    ref(apis, 'API', doc.tenant.default_audience, 'tenant.default_audience');
  }

  const fileConnections = new Map((doc.connections ?? []).map((c) => [c.name, c]));
  const seen = new Map<string, string>();
  const unique = (key: string, path: string, message: string) => {
    if (seen.has(key)) errors.push(`${path}: ${message}`);
    else seen.set(key, path);
  };
  doc.users?.forEach((u, i) => {
    const at = `users[${i}]`;
    ref(connections, 'connection', u.connection, `${at}.connection`);
    if (u.user_id !== undefined)
      unique(`id\n${u.user_id}`, `${at}.user_id`, `duplicate user_id "${u.user_id}"`);
    const inConn = `in connection "${u.connection}"`;
    if (u.email !== undefined) {
      unique(
        `email\n${u.connection}\n${u.email.toLowerCase()}`,
        `${at}.email`,
        `duplicate email "${u.email}" ${inConn}`,
      );
    }
    if (u.username !== undefined) {
      const key = `username\n${u.connection}\n${u.username.toLowerCase()}`;
      unique(key, `${at}.username`, `duplicate username "${u.username}" ${inConn}`);
    }
    if (u.username === undefined && fileConnections.get(u.connection)?.options?.requires_username) {
      errors.push(`${at}.username: required by connection "${u.connection}" (requires_username)`);
    }
  });

  const apiScopes = new Map((doc.resourceServers ?? []).map((r) => [r.identifier, r.scopes ?? []]));
  doc.clientGrants?.forEach((g, i) => {
    ref(clients, 'client', g.client_id, `clientGrants[${i}].client_id`);
    if (isManagementAudience(g.audience) && !apis.has(g.audience)) {
      // The built-in Management API (<issuer>api/v2/): Auth0's scopes, no API definition.
      g.scope.forEach((s, j) => {
        if (!MANAGEMENT_SCOPES.includes(s))
          errors.push(
            `clientGrants[${i}].scope[${j}]: "${s}" is not a Management API scope (e.g. read:users)`,
          );
      });
      return;
    }
    ref(apis, 'API', g.audience, `clientGrants[${i}].audience`);
    const scopes = apiScopes.get(g.audience);
    g.scope.forEach((s, j) => {
      if (scopes && !scopes.some((x) => x.value === s)) {
        errors.push(`clientGrants[${i}].scope[${j}]: scope "${s}" is not defined by API "${g.audience}"`);
      }
    });
  });
  rbacErrors(doc, known, apis, ref, errors);
  return errors;
}

/** Roles and users name APIs, their scopes and roles of the file or the database. */
function rbacErrors(
  doc: TenantDoc,
  known: KnownNames | undefined,
  apis: Set<string>,
  ref: (set: Set<string>, what: string, value: string, path: string) => void,
  errors: string[],
): void {
  const roles = new Set([...(doc.roles ?? []).map((r) => r.name), ...(known?.roles ?? [])]);
  const scopes = new Map(known?.apiScopes ?? []);
  for (const r of doc.resourceServers ?? [])
    scopes.set(
      r.identifier,
      (r.scopes ?? []).map((s) => s.value),
    );
  const perms = (list: { resource_server_identifier: string; permission_name: string }[], at: string) =>
    list.forEach((p, j) => {
      const path = `${at}.permissions[${j}]`;
      ref(apis, 'API', p.resource_server_identifier, `${path}.resource_server_identifier`);
      const defined = scopes.get(p.resource_server_identifier);
      if (defined && !defined.includes(p.permission_name)) {
        errors.push(
          `${path}.permission_name: scope "${p.permission_name}" is not defined by API "${p.resource_server_identifier}"`,
        );
      }
    });
  doc.roles?.forEach((r, i) => {
    perms(r.permissions ?? [], `roles[${i}]`);
  });
  doc.users?.forEach((u, i) => {
    u.roles?.forEach((name, j) => {
      ref(roles, 'role', name, `users[${i}].roles[${j}]`);
    });
    perms(u.permissions ?? [], `users[${i}]`);
  });
}
