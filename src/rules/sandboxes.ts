import { DEFAULT_RULES_LIMITS, type RulesLimits } from './types.js';
import { Sandbox } from './isolate.js';

/** One sandbox per runtime (that is, per tenant), keyed by the runtime object. */
const sandboxes = new WeakMap<object, Sandbox>();

/** The sandbox of a runtime (keyed by the runtime object), created on first use. */
export function sandboxFor(rt: object): Sandbox {
  let sandbox = sandboxes.get(rt);
  if (!sandbox) {
    sandbox = new Sandbox({ ...DEFAULT_RULES_LIMITS });
    sandboxes.set(rt, sandbox);
    sandbox.prewarm();
  }
  return sandbox;
}

/**
 * Changes the limits of a runtime's sandbox (tests lower the time limit).
 * A new memory limit takes effect with new isolates; a new `strikeMs`
 * forgets the strikes so far.
 */
export function configureRules(rt: object, limits: Partial<RulesLimits>): void {
  const sandbox = sandboxFor(rt);
  const memoryChanged =
    limits.memoryLimitMb !== undefined && limits.memoryLimitMb !== sandbox.limits.memoryLimitMb;
  sandbox.limits = { ...sandbox.limits, ...limits };
  if (memoryChanged) sandbox.dispose();
  if (limits.strikeMs !== undefined) sandbox.forgetStrikes();
}
