/**
 * Reads a V8 CPU profile (`node --cpu-prof`, or the inspector's
 * Profiler.stop) of the main thread: self time by area (a package, a
 * Tessera folder, Node's internals, GC) and by function, and the inclusive
 * time of Tessera's own functions, in ms per request.
 *
 *     npx tsx bench/cpuprofile.ts PROFILE.cpuprofile [requests]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** The area a frame belongs to: a package, a Tessera folder, a Node module, or V8's own. */
export function area(f: CallFrame): string {
  const url = f.url;
  if (!url) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/(src|bench|test)\/([^/]+)/.exec(url);
  if (src) return src[1] === 'src' ? `src/${src[2]!.replace(/\.ts$/, '')}` : src[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/')[0]!;
  return url;
}

const label = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${f.lineNumber + 1}`;

/** The summary as text; `requests` turns times into ms per request. */
export function summarize(p: CpuProfile, top = 25, requests = 0): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the delta to the next one.
    const dt = (deltas[i + 1] ?? 0) / 1000;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)');
  const idleMs = idle.reduce((t, [, ms]) => t + ms, 0);
  const busy = total - idleMs;

  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    add(areas, area(node.callFrame), ms);
    add(fns, label(node.callFrame), ms);
    // Inclusive time of Tessera's functions: each counted once per sample stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!/\/src\//.test(f.url) || /node_modules/.test(f.url)) continue;
      const l = label(f);
      if (!seen.has(l)) {
        seen.add(l);
        add(inclusive, l, ms);
      }
    }
  }
  const per = (ms: number) => (requests > 0 ? `${(ms / requests).toFixed(3)} ms/req` : '');
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, ms]) =>
          `  ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${per(ms).padStart(14)}  ${k}`,
      )
      .join('\n');
  return [
    `main thread: ${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms busy (${((100 * busy) / total).toFixed(0)}%)` +
      (requests > 0 ? `, ${(busy / requests).toFixed(3)} ms busy per request` : ''),
    '\nself time by area (share of busy time):',
    rows(areas, top),
    '\nself time by function:',
    rows(fns, top),
    '\ninclusive time of Tessera functions:',
    rows(inclusive, top),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/cpuprofile.ts PROFILE.cpuprofile [requests] [top]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(summarize(profile, Number(process.argv[4] ?? 30), Number(process.argv[3] ?? 0)));
}
