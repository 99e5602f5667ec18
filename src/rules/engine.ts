import { channel } from 'node:diagnostics_channel';
import type { LoginContext } from '../login-types/context.js';
import type { Runtime } from '../runtime.js';
import { errors } from '../errors/index.js';
import { getSetting, getTenantSettings } from '../store/repos/settings.js';
import { runActions } from './action-runner.js';
import { allowedHosts, type FetchPolicy } from './fetch-bridge.js';
import type { IsolateLease } from './isolate.js';
import { sandboxFor } from './sandboxes.js';
import { runRules } from './rule-runner.js';
import {
  describeScript,
  type LoginScripts,
  type RulesConfigEntry,
  ScriptFailure,
  type ScriptId,
} from './types.js';

/**
 * Published once per login that ran scripts, with `{ ms }`: the wall time
 * of its scripts from the lease to the release (bench/rules.ts listens;
 * nothing is measured without a subscriber).
 */
export const scriptsTiming = channel('tessera:rules.scripts');

/** What the rule and action runners share during one login. */
export interface RunEnv {
  /** The login's isolate, for all of its scripts. */
  lease: IsolateLease;
  policy: FetchPolicy;
  /** `context.tenant` / `event.tenant.id`: the tenant's friendly name, or `tessera`. */
  tenant: string;
  /** The rules' `configuration` global, from the `rulesConfigs` setting. */
  configuration: Record<string, string>;
  log(id: ScriptId, lines: string[]): void;
  /** Told when a script version moves off the event loop for a while (loop-runs.ts). */
  moved(id: ScriptId, why: string): void;
}

/**
 * Runs a login's rules, then its post-login actions, on one isolate leased
 * from the runtime's sandbox, within one time budget for them all. A script
 * that fails (throws, times out, runs out of memory, never calls back, does
 * not compile, is stopped by the sandbox's caps) fails the login closed with
 * a generic access_denied; which script and why go to the log and the audit
 * event. Denials and redirects are coded errors (errors/) the pipeline records.
 */
export async function runLoginScripts(ctx: LoginContext<Runtime>, scripts: LoginScripts): Promise<void> {
  const { rt } = ctx;
  const started = scriptsTiming.hasSubscribers ? performance.now() : 0;
  const sandbox = sandboxFor(rt);
  const [tenant, configs] = await Promise.all([
    getTenantSettings(rt.store.db),
    getSetting<RulesConfigEntry[]>(rt.store.db, 'rulesConfigs'),
  ]);
  const configuration: Record<string, string> = Object.create(null);
  for (const c of configs ?? []) configuration[c.key] = c.value;
  const limits = { ...sandbox.limits };
  const deadline = performance.now() + limits.loginTimeoutMs;
  const first = firstScript(scripts);
  let lease: IsolateLease | undefined;
  try {
    lease = await sandbox.lease(deadline, ctx.user?.user_id);
    if (!lease) {
      throw new ScriptFailure(
        first,
        `no sandbox isolate was free within the login's time limit (${limits.isolates} in use)`,
      );
    }
    const env: RunEnv = {
      lease,
      policy: { allowedHosts: allowedHosts(configuration), deadline, limits },
      tenant: tenant.friendly_name || 'tessera',
      configuration,
      log: (id, lines) =>
        rt.log.info({ script: describeScript(id), lines }, 'console output of a tenant script'),
      moved: (id, reason) =>
        rt.log.info(
          { script: describeScript(id), reason },
          "a tenant script was run again on its isolate's thread, where this version runs for the next minute (rules.loopOffMs)",
        ),
    };
    if (scripts.rules.length > 0) await runRules(ctx, scripts.rules, env);
    if (scripts.actions.length > 0) await runActions(ctx, scripts.actions, env);
  } catch (err) {
    if (!(err instanceof ScriptFailure)) throw err;
    rt.log.error(
      {
        script: describeScript(err.script),
        reason: err.reason,
        client_id: ctx.client.client_id,
        user_id: ctx.user?.user_id,
      },
      'a rule or action failed: login refused',
    );
    throw errors.ruleFailed(`${describeScript(err.script)}: ${err.reason}`);
  } finally {
    if (lease) sandbox.release(lease);
    if (started) scriptsTiming.publish({ ms: performance.now() - started });
  }
}

function firstScript(scripts: LoginScripts): ScriptId {
  const rule = scripts.rules[0];
  if (rule) return { kind: 'rule', name: rule.name };
  return { kind: 'action', name: scripts.actions[0]?.name ?? '' };
}
