import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { passwordLoginContext } from '../src/login/build.js';
import type { LoginContext } from '../src/login/context.js';
import { authzLoad } from '../src/login/steps/authz-load.js';
import { definedPermissions } from '../src/tokens/scopes.js';
import { findClient } from '../src/store/repos/clients.js';
import { findConnectionById } from '../src/store/repos/connections.js';
import { findResourceServer, upsertResourceServer } from '../src/store/repos/resource-servers.js';
import { setUserRoles, upsertRole } from '../src/store/repos/roles.js';
import { findUserById } from '../src/store/repos/users.js';
import type { Runtime } from '../src/runtime.js';
import { ALICE, API, addUser } from '../test/helpers/app.js';
import { withTessera } from './lib.js';

/**
 * What RBAC adds to a login: the authz.load step (the user's roles and their
 * permissions for the API, read at every login and refresh, and the scopes
 * narrowed to them) plus the `permissions` claim, for a user with 3 roles of
 * 20 permissions each on an API with enforce_policies and access_token_authz,
 * against a user with no role (the step's one query). SQLite file, in process;
 * the target is a p50 under 0.5 ms.
 *
 * The tenant has `--tenant-roles` more roles (200 by default) of 20
 * permissions each on the same API, which neither user holds: the read must
 * cost what the user holds, not what the tenant has (before round 7, SQLite
 * walked every permission of the API: 0.4 ms with 200 roles).
 *
 *     npm run bench:rbac [-- --tenant-roles 0]
 */
const { values: args } = parseArgs({ options: { 'tenant-roles': { type: 'string' } } });
const ROLES = 3;
const PER_ROLE = 20;
const TENANT_ROLES = Number(args['tenant-roles'] ?? 200);
const N = Number(process.env.BENCH_ITERATIONS ?? 5000);
const TARGET_MS = 0.5;

async function seed(rt: Runtime) {
  const db = rt.store.db;
  const now = rt.now();
  const scopes = Array.from({ length: (ROLES + TENANT_ROLES) * PER_ROLE }, (_, i) => ({
    value: `scope:${i}`,
  }));
  const api = await findResourceServer(db, API);
  await upsertResourceServer(
    db,
    { ...api!, scopes, enforce_policies: true, token_dialect: 'access_token_authz' },
    now,
  );
  for (let r = 0; r < ROLES + TENANT_ROLES; r++) {
    const permissions = scopes
      .slice(r * PER_ROLE, (r + 1) * PER_ROLE)
      .map((s) => ({ resource_server_identifier: API, permission_name: s.value }));
    await upsertRole(db, { id: `rol_${r}`, name: `role-${r}`, permissions }, now);
  }
  await setUserRoles(
    db,
    ALICE.id,
    Array.from({ length: ROLES }, (_, r) => `rol_${r}`),
  );
  await addUser(rt, { user_id: 'auth0|plain', connection_id: 'con_default', email: 'plain@acme.test' });
}

async function contextFor(rt: Runtime, userId: string): Promise<LoginContext> {
  const db = rt.store.db;
  const user = (await findUserById(db, userId))!;
  const api = (await findResourceServer(db, API))!;
  const ctx = passwordLoginContext(
    {
      rt,
      client: (await findClient(db, 'acme-web'))!.client,
      request: { ip: '127.0.0.1', clientIp: '127.0.0.1', body: {} },
    },
    {
      grantType: 'password',
      connection: (await findConnectionById(db, 'con_default'))!,
      username: user.email ?? userId,
      password: '',
      api,
      requestedScopes: [],
      // The scopes the RBAC user's roles grant (not the tenant's others).
      scopes: ['openid', ...api.scopes.slice(0, ROLES * PER_ROLE).map((s) => s.value)],
      echoScope: false,
    },
  );
  return { ...ctx, password: undefined, user };
}

async function sample(base: LoginContext): Promise<number> {
  const ctx: LoginContext = { ...base, scopes: [...base.scopes] };
  const t0 = performance.now();
  await authzLoad.run(ctx);
  if (ctx.api) definedPermissions(ctx.api, ctx.authorization!.permissions);
  return performance.now() - t0;
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

await withTessera(seed, async ({ rt }) => {
  const rbac = await contextFor(rt, ALICE.id);
  const plain = await contextFor(rt, 'auth0|plain');
  const check: LoginContext = { ...rbac };
  await authzLoad.run(check);
  if (check.authorization!.permissions.length !== ROLES * PER_ROLE) throw new Error('RBAC seed is wrong');
  for (let i = 0; i < 500; i++) {
    await sample(rbac);
    await sample(plain);
  }
  const a: number[] = [];
  const b: number[] = [];
  // Alternating, so outside load falls on both alike.
  for (let i = 0; i < N; i++) {
    a.push(await sample(rbac));
    b.push(await sample(plain));
  }
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  const line = (name: string, xs: number[]) =>
    `${name.padEnd(28)} p50 ${pct(xs, 50).toFixed(3)} ms  p90 ${pct(xs, 90).toFixed(3)} ms  p99 ${pct(xs, 99).toFixed(3)} ms`;
  console.log(
    `authz.load + permissions claim, ${N} logins each (SQLite file; the tenant has ${TENANT_ROLES} more roles of ${PER_ROLE} permissions on the API)`,
  );
  console.log(line(`${ROLES} roles x ${PER_ROLE} permissions`, a));
  console.log(line('no role', b));
  const p50 = pct(a, 50);
  console.log(
    `p50 added by RBAC: ${p50.toFixed(3)} ms (target < ${TARGET_MS} ms: ${p50 < TARGET_MS ? 'met' : 'NOT met'})`,
  );
});
