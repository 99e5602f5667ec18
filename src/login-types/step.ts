/**
 * One named step of the login pipeline. `run` does the step's work;
 * `onFailure`, when given, settles what the step left behind if the login
 * fails, at this step or any later one (runLogin calls it, the most recent
 * step first, before the failure is recorded): e.g. protection.precheck's
 * reservation is counted as a failure or given back.
 */
export interface LoginStep<C> {
  name: string;
  run(ctx: C): Promise<void>;
  onFailure?(ctx: C, err: unknown): Promise<void>;
}
