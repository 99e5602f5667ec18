import { DEFAULTS } from '../config/defaults.js';
/** Most users remembered at once; past it the oldest strikes are forgotten first. */
const MAX_STRUCK = DEFAULTS.rules.struckUsers;

/**
 * Users whose scripts were recently stopped, timed out or ran out of
 * memory (a "strike", kept for `strikeMs`). Their next logins still take
 * the fast path, but get no busy or slow place and a small CPU allowance
 * (see Sandbox.watch): one user sending the same bad login again and again
 * then costs others `struckCpuMs` per try instead of a core for the whole
 * time limit.
 */
export class Strikes {
  /** user → when the strike ends (performance.now()); Map order is insertion order. */
  private until = new Map<string, number>();

  has(user: string | undefined): boolean {
    if (user === undefined) return false;
    const end = this.until.get(user);
    if (end === undefined) return false;
    if (end > performance.now()) return true;
    this.until.delete(user);
    return false;
  }

  add(user: string | undefined, strikeMs: number): void {
    if (user === undefined || strikeMs <= 0) return;
    this.until.delete(user);
    this.until.set(user, performance.now() + strikeMs);
    if (this.until.size > MAX_STRUCK) {
      const oldest = this.until.keys().next().value;
      if (oldest !== undefined) this.until.delete(oldest);
    }
  }
}
