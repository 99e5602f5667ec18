import { randomFill } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { promisify } from 'node:util';

/**
 * Runs every thread of this process but the main one (the event loop) `by`
 * nice levels lower, including the threads started later: it lowers the
 * ones there now, then every `everyMs` the ones that are new since (each
 * thread once). These are libuv's pool, where argon2 hashes and tokens are
 * signed, V8's helper threads, and isolated-vm's. Linux only (threads are
 * scheduled one by one there); elsewhere, or with `by` 0, nothing changes.
 * Returns how many threads it lowered at first and a stop function (its
 * timer does not keep the process alive).
 *
 * Why: on a machine whose cores the hashes keep busy, the event loop's
 * short work (parsing a request, refusing one the admission budget cannot
 * serve, a refresh, a rule on the loop) waited for a core behind a hash,
 * which the scheduler gives a few ms at a time. At a lower priority the
 * hashes still take every cycle nothing else wants, so throughput is the
 * same; the loop simply goes first. Measured (bench:overload, 3× capacity):
 * refusals' p99 as the client sees it 10-12 → 6 ms, goodput unchanged.
 *
 * The pool's threads start with its first task, so one is run first.
 * isolated-vm starts its threads for scripts run off the event loop (a
 * script moved off it, a fetch) when the first such run comes, at the main
 * thread's priority: lowered only at startup, a busy or hostile script
 * there outranked the lowered hash pool by about 9 to 1 in CPU share (nice
 * 0 against 10), and other users' logins waited on their hashes until
 * admission control refused them (bench:rules-hostile: 36-258 innocent
 * logins refused per run). Hence the later checks.
 */
export async function keepHelperThreadsLowered(
  by: number,
  everyMs: number,
): Promise<{ lowered: number; stop(): void }> {
  if (by <= 0 || process.platform !== 'linux') return { lowered: 0, stop() {} };
  await promisify(randomFill)(Buffer.alloc(1));
  const seen = new Set<number>();
  const lowerNew = () =>
    lowerThreads(by, (tid) => {
      if (seen.has(tid)) return false;
      seen.add(tid);
      return true;
    });
  const lowered = lowerNew();
  const timer = setInterval(lowerNew, everyMs);
  timer.unref();
  return { lowered, stop: () => clearInterval(timer) };
}

/** Lowers each thread but the main one that `pick` chooses by `by` levels (at most to 19); how many. */
function lowerThreads(by: number, pick: (tid: number) => boolean): number {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return 0; // no /proc: nothing to name the threads by
  }
  let lowered = 0;
  for (const task of tasks) {
    const tid = Number(task);
    if (tid === process.pid || !pick(tid)) continue;
    try {
      setPriority(tid, Math.min(19, getPriority(tid) + by));
      lowered++;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return lowered;
}
