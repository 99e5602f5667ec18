// First: sizes libuv's thread pool before anything uses it (see the module).
import { THREADPOOL_SIZE } from './threadpool.js';

import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Options } from 'autocannon';
import { decodeJwt } from 'jose';
import { passwordLoginContext } from '../src/login/build.js';
import type { LoginContext } from '../src/login/context.js';
import { rulesRun } from '../src/login/steps/rules-run.js';
import { resolveAudience } from '../src/oauth/audience.js';
import { defaultConnection } from '../src/oauth/realm.js';
import { decideScopes, parseScope } from '../src/oauth/scopes.js';
import type { Runtime } from '../src/runtime.js';
import { findClient } from '../src/store/repos/clients.js';
import { putSetting } from '../src/store/repos/settings.js';
import { findUserByIdentifier, upsertUser } from '../src/store/repos/users.js';
import { ALICE, API, SECRET, addUser } from '../test/helpers/app.js';
import {
  CONCURRENCY,
  type GrantSlice,
  MAX_ERROR_SHARE,
  type OpsSlice,
  alternateRounds,
  benchTiming,
  grantSlice,
  opsSlice,
  percentile,
  postForm,
  report,
  run,
  withTessera,
} from './lib.js';

/**
 * What do three typical rules add to a password login? Two measurements in
 * one run:
 *
 * 1. the password grant with the rules against the same grant without, in
 *    alternating rounds, 16 in flight (argon2id dominates both);
 * 2. the `rules.run` step alone, called with the login context the grant
 *    builds, with the rules and without: back to back, paced (one call
 *    every ~20 ms, as logins arrive between argon2id verifications) and 16
 *    at once. The added latency per login without argon2's noise. Aim:
 *    < 2 ms (p50).
 */

const AIM_MS = 2;
const NS = 'https://acme.test/';

const { values: args } = parseArgs({ options: { duration: { type: 'string' } } });
const timing = benchTiming(args.duration);

/** The three rules: a roles claim, a deny by metadata flag, a scope by role. */
const RULES = [
  {
    name: 'Add roles to the tokens',
    script: `function addRoles(user, context, callback) {
  const namespace = '${NS}';
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  context.accessToken[namespace + 'roles'] = roles;
  context.idToken[namespace + 'roles'] = roles;
  callback(null, user, context);
}`,
  },
  {
    name: 'Deny suspended accounts',
    script: `function denySuspended(user, context, callback) {
  if (user.app_metadata && user.app_metadata.suspended) {
    return callback(new UnauthorizedError('This account is suspended.'));
  }
  callback(null, user, context);
}`,
  },
  {
    name: 'Editors may write orders',
    script: `function editorScope(user, context, callback) {
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  if (roles.indexOf('editor') !== -1 && context.accessToken.scope.indexOf('write:orders') === -1) {
    context.accessToken.scope = context.accessToken.scope.concat(['write:orders']);
  }
  callback(null, user, context);
}`,
  },
].map((r, i) => ({ ...r, enabled: true, order: i + 1 }));

const ROLES = ['editor', 'support'];
const SCOPE = 'read:orders';
const FORM = {
  grant_type: 'password',
  username: ALICE.email,
  password: ALICE.password,
  client_id: 'acme-web',
  client_secret: SECRET,
  audience: API,
  scope: SCOPE,
};
const GRANT_FORM = new URLSearchParams(FORM).toString();
const SUSPENDED = { email: 'suspended@acme.test', password: 'suspended horse battery staple' };

/**
 * The bench tenant: attack protection off (16 logins of one user from one
 * IP in flight would otherwise hit brute-force protection's limit of 10),
 * Alice with roles in her app_metadata, and a suspended user to check that
 * the deny rule denies.
 */
async function seed(rt: Runtime): Promise<void> {
  const db = rt.store.db;
  await putSetting(db, 'attackProtection', {
    bruteForceProtection: { enabled: false },
    suspiciousIpThrottling: { enabled: false },
    breachedPasswordDetection: { enabled: false },
  });
  await upsertUser(
    db,
    {
      user_id: ALICE.id,
      connection_id: 'con_default',
      email: ALICE.email,
      email_verified: true,
      profile: { name: 'Alice Example' },
      app_metadata: { roles: ROLES, suspended: false },
    },
    rt.now(),
  );
  await addUser(rt, {
    user_id: 'auth0|suspended',
    connection_id: 'con_default',
    email: SUSPENDED.email,
    password: SUSPENDED.password,
    app_metadata: { roles: ROLES, suspended: true },
  });
}

/** Installs the three rules, or none. Settings reads are cached; a write clears the cache. */
async function setRules(rt: Runtime, on: boolean): Promise<void> {
  await putSetting(rt.store.db, 'rules', on ? RULES : []);
}

/** One login outside the load in each mode, and one denied: the rules do what they say. */
async function checkGrants(rt: Runtime, url: string): Promise<void> {
  for (const on of [false, true]) {
    await setRules(rt, on);
    const { status, body } = await postForm(url, GRANT_FORM);
    const claims = status === 200 ? decodeJwt(body.access_token) : {};
    const want = on ? `${SCOPE} write:orders` : SCOPE;
    const roles = JSON.stringify(claims[`${NS}roles`]);
    if (status !== 200 || claims.scope !== want || roles !== (on ? JSON.stringify(ROLES) : undefined)) {
      throw new Error(
        `the password grant ${on ? 'with' : 'without'} rules answered ${status} ${JSON.stringify(body)}`,
      );
    }
  }
  const denied = await postForm(
    url,
    new URLSearchParams({ ...FORM, username: SUSPENDED.email, password: SUSPENDED.password }).toString(),
  );
  if (denied.status !== 401 || denied.body.error !== 'unauthorized') {
    throw new Error(`the deny rule did not deny: ${denied.status} ${JSON.stringify(denied.body)}`);
  }
}

/**
 * The login context of Alice's grant as the password grant builds it, as
 * identity.verify leaves it (user loaded, password wiped); a fresh copy of
 * the parts the rules change for every call.
 */
async function loginContextFactory(rt: Runtime): Promise<() => LoginContext> {
  const client = (await findClient(rt.store.db, FORM.client_id))!.client;
  const connection = await defaultConnection(rt, client);
  const api = await resolveAudience(rt, FORM.audience);
  const requestedScopes = parseScope(FORM.scope);
  const { granted, differs } = decideScopes(requestedScopes, api, { allowOffline: false });
  const found = await findUserByIdentifier(rt.store.db, connection.id, FORM.username);
  if (!found) throw new Error('the bench user is missing');
  const { password_hash: _hash, ...user } = found;
  const { password: _password, client_secret: _secret, ...body } = FORM;
  const request = {
    ip: '127.0.0.1',
    clientIp: '127.0.0.1',
    userAgent: 'bench-rules/1.0',
    hostname: '127.0.0.1',
  };
  return () => ({
    ...passwordLoginContext(
      { rt, client, request: { ...request, body: { ...body } } },
      {
        grantType: 'password',
        connection,
        username: FORM.username,
        password: '',
        api,
        requestedScopes,
        scopes: [...granted],
        echoScope: differs,
      },
    ),
    password: undefined,
    user: { ...user, logins_count: user.logins_count + 1 },
  });
}

/**
 * The pause between paced calls: about one argon2id verification, the time
 * that separates a server's logins, in which the sandbox makes contexts ahead.
 */
const PAUSE_MS = 20;

/**
 * How the step is called: calls in flight, the pause between a chain's
 * calls, and the share of a round's time (the paced mode makes few calls).
 */
const MODES = [
  { label: 'back to back', concurrency: 1, pauseMs: 0, share: 1 / 3 },
  { label: `paced (${PAUSE_MS} ms apart)`, concurrency: 1, pauseMs: PAUSE_MS, share: 1 },
  { label: `${CONCURRENCY} at once`, concurrency: CONCURRENCY, pauseMs: 0, share: 1 / 3 },
] as const;

interface StepSide {
  mode: (typeof MODES)[number];
  on: boolean;
  slices: OpsSlice[];
}

/**
 * `op` in `concurrency` chains for `seconds`, each call timed, with an
 * untimed pause between a chain's calls. The CPU figure covers the pauses
 * too: what the sandbox does between logins (making contexts ahead) counts.
 */
async function stepSlice(
  seconds: number,
  op: () => Promise<void>,
  concurrency: number,
  pauseMs: number,
): Promise<OpsSlice> {
  if (pauseMs === 0) return opsSlice(seconds, op, concurrency);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  const chain = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await op();
      latencies.push(performance.now() - t0);
      await sleep(pauseMs);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, chain));
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    latencies,
    count: latencies.length,
    seconds: elapsed,
    rate: latencies.length / elapsed,
    cpuMs: (used.user + used.system) / 1000,
  };
}

/**
 * The `rules.run` step with the three rules and with none, alternating in
 * rounds, in each mode: back to back (every fresh context is made on
 * demand), paced (contexts made ahead between calls, as between a server's
 * logins) and 16 at once.
 */
async function measureStep(rt: Runtime): Promise<StepSide[]> {
  const newContext = await loginContextFactory(rt);
  const step = (on: boolean) => async () => {
    const ctx = newContext();
    await rulesRun.run(ctx);
    if (on && (ctx.scopes.length !== 2 || !ctx.accessTokenClaims[`${NS}roles`])) {
      throw new Error(`the rules did not apply: ${JSON.stringify(ctx.scopes)}`);
    }
  };
  const sides: StepSide[] = MODES.flatMap((mode) => [
    { mode, on: false, slices: [] },
    { mode, on: true, slices: [] },
  ]);
  const slice = async (side: StepSide, seconds: number) => {
    await setRules(rt, side.on);
    return stepSlice(seconds, step(side.on), side.mode.concurrency, side.mode.pauseMs);
  };
  // Warm-up (JIT, the isolates, the compiled scripts), not counted.
  for (const side of sides.filter((s) => s.on)) await slice(side, timing.warmupSeconds / MODES.length);
  for (let i = 0; i < timing.rounds; i++) {
    for (const side of sides) side.slices.push(await slice(side, timing.sliceSeconds * side.mode.share));
  }
  return sides;
}

const sorted = (slices: { latencies: number[] }[]) =>
  slices.flatMap((s) => s.latencies).sort((a, b) => a - b);
const cpuPerOp = (slices: { cpuMs: number; count: number }[]) =>
  slices.reduce((t, s) => t + s.cpuMs, 0) / slices.reduce((n, s) => n + s.count, 0);
const ms = (v: number, digits = 3) => `${v.toFixed(digits)} ms`;

/** One line of added latency: p50 and p99 with rules minus without, and the aim's verdict. */
function addedLine(label: string, none: number[], rules: number[]): string {
  const p50 = percentile(rules, 50) - percentile(none, 50);
  const p99 = percentile(rules, 99) - percentile(none, 99);
  const verdict = p50 < AIM_MS ? 'PASS' : 'BELOW AIM';
  return `  added per login, ${label}: p50 +${ms(p50)}, p99 +${ms(p99)}; aim p50 < ${AIM_MS} ms: ${verdict}`;
}

function reportStep(sides: StepSide[]): void {
  const label = (side: StepSide) => `${side.mode.label}, ${side.on ? '3 rules' : 'no rules'}`;
  const width = Math.max(...sides.map((s) => label(s).length)) + 2;
  console.log(
    `\n  ${'rules.run step'.padEnd(width)}${'calls'.padStart(8)}${'calls/s'.padStart(10)}` +
      `${'p50'.padStart(12)}${'p99'.padStart(12)}${'CPU/call'.padStart(12)}`,
  );
  for (const side of sides) {
    const lat = sorted(side.slices);
    const seconds = side.slices.reduce((t, s) => t + s.seconds, 0);
    console.log(
      `  ${label(side).padEnd(width)}${String(lat.length).padStart(8)}` +
        `${(lat.length / seconds).toFixed(0).padStart(10)}` +
        `${ms(percentile(lat, 50)).padStart(12)}${ms(percentile(lat, 99)).padStart(12)}` +
        `${ms(cpuPerOp(side.slices)).padStart(12)}`,
    );
  }
  console.log('');
  for (const mode of MODES) {
    const [none, rules] = [false, true].map((on) => sides.find((s) => s.mode === mode && s.on === on)!);
    console.log(addedLine(mode.label, sorted(none!.slices), sorted(rules!.slices)));
  }
  const cpu = MODES.map((mode) => {
    const [none, rules] = [false, true].map((on) => sides.find((s) => s.mode === mode && s.on === on)!);
    return `${ms(cpuPerOp(rules!.slices) - cpuPerOp(none!.slices))} ${mode.label}`;
  });
  console.log(`  added CPU per login (all threads): ${cpu.join(', ')}`);
  console.log(
    `  (${CONCURRENCY} at once: the latency is mostly waiting for an isolate, about ${CONCURRENCY} / calls/s)`,
  );
}

/** The grant's own view: latency and CPU per login with the rules minus without. */
function reportGrantAdded(baseline: GrantSlice[], grants: GrantSlice[]): void {
  const none = sorted(baseline);
  const rules = sorted(grants);
  console.log(
    `  grant latency, ${CONCURRENCY} in flight: p50 ${ms(percentile(none, 50), 1)} -> ${ms(percentile(rules, 50), 1)} ` +
      `(${signed(percentile(rules, 50) - percentile(none, 50))}), ` +
      `p99 ${ms(percentile(none, 99), 1)} -> ${ms(percentile(rules, 99), 1)} ` +
      `(${signed(percentile(rules, 99) - percentile(none, 99))})`,
  );
  console.log(
    `  grant CPU per login (incl. autocannon): ${signed(cpuPerOp(grants) - cpuPerOp(baseline))} with the rules ` +
      '(argon2id dominates: the step figures below are the direct measure)',
  );
}

const plainSent = (slices: GrantSlice[]) =>
  slices.reduce((n, g) => n + g.raw['2xx'] + g.raw.non2xx + g.raw.errors + g.raw.timeouts, 0);

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} ms`;

run(() =>
  withTessera(seed, async (tessera) => {
    const { rt, url } = tessera;
    await checkGrants(rt, url);

    console.log(
      `rules bench: ${availableParallelism()} cores, UV_THREADPOOL_SIZE=${THREADPOOL_SIZE}, ` +
        `${CONCURRENCY} in flight, ${timing.duration} s of each, scope="${SCOPE}", ` +
        `${RULES.length} rules (roles claim, deny by app_metadata, scope by role), ` +
        `attack protection off, SQLite (WAL) in ${tessera.dir}`,
    );
    const options: Options = {
      url,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: GRANT_FORM,
      connections: CONCURRENCY,
    };
    // Both sides are grant runs of a fixed number of logins, sized from the
    // side's previous rate, so no request is left over for the next round.
    const sized = async (on: boolean, amount: number) => {
      await setRules(rt, on);
      return grantSlice(options, amount);
    };
    let plainRate = (await sized(false, CONCURRENCY * 4)).rate;
    const rounds = await alternateRounds({
      timing,
      baseline: async (seconds) => {
        const s = await sized(false, Math.max(CONCURRENCY * 2, Math.round(plainRate * seconds)));
        plainRate = s.rate;
        return s;
      },
      grant: (amount) => sized(true, amount),
    });
    report({
      timing,
      rounds,
      baseline: {
        label: 'grant, no rules',
        unit: 'req/s',
        series: 'no-rules rounds',
        rateName: 'plain_rps',
      },
      grant: {
        label: 'grant, 3 rules',
        unit: 'req/s',
        series: 'rules rounds',
        rateName: 'rules_rps',
        options,
        noun: 'grant',
        op: 'login',
        plural: 'logins',
        latency: 'measured',
      },
    });
    reportGrantAdded(rounds.baseline, rounds.grants);
    // report() checks the rules rounds' answers; the no-rules rounds must be clean too.
    const plainFailed = rounds.baseline.reduce((n, b) => n + b.raw.non2xx + b.raw.errors + b.raw.timeouts, 0);
    if (plainFailed > Math.max(1, plainSent(rounds.baseline) * MAX_ERROR_SHARE)) {
      console.error(`\n  FAILED: ${plainFailed} no-rules grant requests did not answer 200.`);
      process.exitCode = 1;
    }

    const t0 = performance.now();
    const sides = await measureStep(rt);
    reportStep(sides);
    console.log(`  (step measured for ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }),
);
