import { performance } from 'node:perf_hooks';
import autocannon, { type Options } from 'autocannon';

/**
 * The load generator of the grant benchmarks (lib.ts `grantSlice`), in a
 * process of its own: autocannon never shares the server's event loop or
 * its CPU accounting. It stays up for the whole benchmark and runs one job
 * per message, answering counts, latencies and (rotating refresh) the
 * chains' next tokens.
 */

export interface GrantJob {
  url: string;
  /** Requests to send; every one is answered before the job ends. */
  amount: number;
  connections: number;
  /** Connection i sends `forms[i % forms.length]`. */
  forms: string[];
  /**
   * Rotating refresh: connection i chains its own family: it sends
   * `refresh_token=tokens[i]` with `fields`, and each 200 answer's
   * refresh_token is its next token.
   */
  rotate?: { fields: Record<string, string>; tokens: string[] };
}

export interface GrantJobResult {
  /** From the first request to the last answer. */
  seconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** Latencies of the 2xx answers, ms. */
  latencies: number[];
  /** The chains' heads after the job (rotate). */
  tokens?: string[];
}

const HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

async function runJob(job: GrantJob): Promise<GrantJobResult> {
  const tokens = job.rotate ? [...job.rotate.tokens] : undefined;
  let next = 0;
  const refreshForm = (token: string) =>
    new URLSearchParams({ ...job.rotate!.fields, refresh_token: token }).toString();
  const options: Options = {
    url: job.url,
    method: 'POST',
    headers: HEADERS,
    body: job.forms[0] ?? '',
    connections: job.connections,
    setupClient(client) {
      const i = next++;
      if (!tokens) {
        client.setBody(job.forms[i % job.forms.length]!);
        return;
      }
      const t = i % tokens.length;
      client.setRequests([
        {
          method: 'POST',
          headers: HEADERS,
          setupRequest: (req) => ({ ...req, body: refreshForm(tokens[t]!) }),
          onResponse(status, body) {
            if (status === 200) tokens[t] = JSON.parse(body).refresh_token;
          },
        },
      ]);
    },
  };
  const latencies: number[] = [];
  const t0 = performance.now();
  let last = t0;
  const raw = await autocannon({
    ...options,
    amount: job.amount,
    sampleInt: 10,
    skipAggregateResult: true,
  }).on('response', (_client, statusCode, _bytes, responseTime) => {
    last = performance.now();
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const statuses: Record<string, number> = {};
  for (const [code, st] of Object.entries(raw.statusCodeStats)) statuses[code] = st.count;
  return {
    seconds: (last - t0) / 1000,
    ok: raw['2xx'],
    non2xx: raw.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
    statuses,
    latencies,
    tokens,
  };
}

process.on('message', (job: GrantJob) => {
  runJob(job).then(
    (r) => process.send?.(r),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
