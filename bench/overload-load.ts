import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';

/**
 * The load generator of bench/overload.ts, in a process of its own (so it
 * never shares the server's event loop). Told what to do by its parent over
 * IPC, it answers every request's status and latency.
 */

export interface LoadJob {
  url: string;
  form: string;
  /** One random user IP per request in auth0-forwarded-for (else all from this host). */
  forwarded: boolean;
  mode: 'closed' | 'open';
  seconds: number;
  /** closed: requests in flight. */
  concurrency?: number;
  /** open: requests started per second, whatever the answers. */
  rate?: number;
  timeoutMs: number;
}

export interface LoadResult {
  seconds: number;
  /** [status (0: timed out or failed), latency ms] per request. */
  answers: [number, number][];
  /** The latency of one login sent once the load stopped, ms, and its status. */
  after?: [number, number];
  /** From the last request sent to the last answer, ms. */
  drainMs?: number;
}

const agent = new Agent({ connections: null, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

const randomIp = () =>
  `10.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}.${1 + ((Math.random() * 254) | 0)}`;

async function one(job: LoadJob): Promise<[number, number]> {
  const t0 = performance.now();
  try {
    const res = await request(job.url, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(job.forwarded ? { 'auth0-forwarded-for': randomIp() } : {}),
      },
      body: job.form,
      signal: AbortSignal.timeout(job.timeoutMs),
    });
    await res.body.dump();
    return [res.statusCode, performance.now() - t0];
  } catch {
    return [0, performance.now() - t0];
  }
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const answers: Promise<[number, number]>[] = [];
  const t0 = performance.now();
  const end = t0 + job.seconds * 1000;
  if (job.mode === 'closed') {
    const worker = async () => {
      while (performance.now() < end) {
        const p = one(job);
        answers.push(p);
        await p;
      }
    };
    await Promise.all(Array.from({ length: job.concurrency ?? 8 }, worker));
    return { seconds: (performance.now() - t0) / 1000, answers: await Promise.all(answers) };
  }
  const rate = job.rate ?? 100;
  let sent = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; sent < due; sent++) answers.push(one(job));
    await sleep(2);
  }
  const stopped = performance.now();
  const seconds = (stopped - t0) / 1000;
  const all = await Promise.all(answers);
  const drainMs = performance.now() - stopped;
  // Recovery: one login sent once the last answer of the load is in.
  const after = await one(job);
  return { seconds, answers: all, after, drainMs };
}

process.on('message', (job: LoadJob) => {
  runJob(job).then(
    (r) => process.send?.(r, () => process.exit(0)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
});
