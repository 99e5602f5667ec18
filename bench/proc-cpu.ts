import { readdirSync, readFileSync } from 'node:fs';

/** User + system CPU of a process so far, in clock ticks (Linux /proc), its parent's pid and its name. */
export function procStat(pid: number): { ticks: number; ppid: number; comm: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { ticks: Number(f[11]) + Number(f[12]), ppid: Number(f[1]), comm };
  } catch {
    return undefined;
  }
}

/** The pids of every process now (Linux /proc; none elsewhere). */
function pids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU used so far by a process and its children, ms (100 ticks a second). */
export function treeCpuMs(pid: number): number {
  let ticks = procStat(pid)?.ticks ?? 0;
  for (const p of pids()) {
    const st = procStat(p);
    if (st?.ppid === pid) ticks += st.ticks;
  }
  return ticks * 10;
}

/**
 * CPU used so far by every PostgreSQL process of the machine (its backends,
 * which run a store's statements, and its own workers), ms. A backend that
 * ended between two readings takes its ticks with it: read the difference
 * over a run whose connections stay open (the store's pool).
 */
export function postgresCpuMs(): number {
  let ticks = 0;
  for (const p of pids()) {
    const st = procStat(p);
    if (st?.comm === 'postgres') ticks += st.ticks;
  }
  return ticks * 10;
}
