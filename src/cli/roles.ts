import { Command } from 'commander';
import { checkPermissions } from '../identity/manage-roles.js';
import { resolveUser } from '../identity/users.js';
import type { Store } from '../store/db.js';
import {
  addUserRoles,
  deleteRole,
  findRoleByName,
  listRoles,
  newRoleId,
  type Role,
  removeUserRoles,
  upsertRole,
  userRoleNames,
} from '../store/repos/roles.js';
import { action, withStore } from './context.js';

async function roleNamed(store: Store, name: string): Promise<Role> {
  const role = await findRoleByName(store.db, name);
  if (!role) throw new Error(`no role named "${name}"`);
  return role;
}

const permText = (r: Role) =>
  r.permissions.map((p) => `${p.resource_server_identifier} ${p.permission_name}`).join(', ') || '(none)';

/**
 * `tessera roles …`: RBAC roles, their permissions (API + scope), and which
 * users hold them. Changes count from the users' next login or refresh.
 */
export function rolesCommand(): Command {
  const cmd = new Command('roles').description(
    'RBAC roles: permissions (API scopes) and the users who hold them',
  );
  cmd
    .command('list')
    .description('list the roles with their permissions')
    .action(
      action(async () => {
        await withStore(async (store) => {
          for (const r of await listRoles(store.db))
            process.stdout.write(`${r.name}${r.description ? ` — ${r.description}` : ''}: ${permText(r)}\n`);
        });
      }),
    );
  cmd
    .command('create')
    .description('create a role')
    .argument('<name>')
    .option('--description <text>')
    .action(
      action(async (name: string, opts: { description?: string }) => {
        await withStore(async (store) => {
          if (await findRoleByName(store.db, name)) throw new Error(`a role named "${name}" exists`);
          await upsertRole(
            store.db,
            { id: newRoleId(), name, description: opts.description, permissions: [] },
            Date.now(),
          );
          process.stdout.write(`created role ${name}\n`);
        });
      }),
    );
  cmd
    .command('delete')
    .description('delete a role (its users lose its permissions)')
    .argument('<name>')
    .action(
      action(async (name: string) => {
        await withStore(async (store) => {
          await deleteRole(store.db, (await roleNamed(store, name)).id);
          process.stdout.write(`deleted role ${name}\n`);
        });
      }),
    );
  for (const [verb, add] of [
    ['add-permissions', true],
    ['remove-permissions', false],
  ] as const) {
    cmd
      .command(verb)
      .description(`${add ? 'give' : 'take'} a role scopes of an API`)
      .argument('<role>')
      .argument('<api>', "the API's identifier")
      .argument('<scopes...>')
      .action(
        action(async (name: string, api: string, scopes: string[]) => {
          await withStore(async (store) => {
            const role = await roleNamed(store, name);
            const perms = add
              ? await checkPermissions(
                  store,
                  scopes.map((permission_name) => ({ resource_server_identifier: api, permission_name })),
                )
              : scopes.map((permission_name) => ({ resource_server_identifier: api, permission_name }));
            const key = (p: { resource_server_identifier: string; permission_name: string }) =>
              `${p.resource_server_identifier}\n${p.permission_name}`;
            const drop = new Set(perms.map(key));
            const permissions = add
              ? [...role.permissions, ...perms]
              : role.permissions.filter((p) => !drop.has(key(p)));
            await upsertRole(store.db, { ...role, permissions }, Date.now());
            process.stdout.write(`${name}: ${permText({ ...role, permissions })}\n`);
          });
        }),
      );
  }
  for (const [verb, add] of [
    ['assign', true],
    ['unassign', false],
  ] as const) {
    cmd
      .command(verb)
      .description(`${add ? 'give' : 'take'} a user roles`)
      .argument('<user>', 'user_id, email or username')
      .argument('<roles...>')
      .option('--connection <name>', 'the connection, when the email or username is in several')
      .action(
        action(async (ref: string, names: string[], opts: { connection?: string }) => {
          await withStore(async (store) => {
            const user = await resolveUser(store, ref, opts.connection);
            const ids: string[] = [];
            for (const n of names) ids.push((await roleNamed(store, n)).id);
            if (add) await addUserRoles(store.db, user.user_id, ids);
            else await removeUserRoles(store.db, user.user_id, ids);
            const now = await userRoleNames(store.db, user.user_id);
            process.stdout.write(`${user.user_id}: ${now.join(', ') || '(no roles)'}\n`);
          });
        }),
      );
  }
  return cmd;
}
