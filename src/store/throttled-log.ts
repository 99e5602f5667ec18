import type { Logger } from 'pino';

/**
 * A warning that an outage would repeat for every connection and command:
 * written at most once per `intervalMs` per key, with how many were held
 * back since, so a dead backend cannot flood the log.
 */
export function throttledWarn(log: Logger, intervalMs = 10_000) {
  const seen = new Map<string, { at: number; suppressed: number }>();
  return (key: string, fields: Record<string, unknown>, message: string) => {
    const now = Date.now();
    const s = seen.get(key);
    if (s && now - s.at < intervalMs) {
      s.suppressed++;
      return;
    }
    seen.set(key, { at: now, suppressed: 0 });
    log.warn({ ...fields, ...(s?.suppressed ? { suppressed: s.suppressed } : {}) }, message);
  };
}
