// First: sizes libuv's thread pool before anything uses it (see the module).
import { THREADPOOL_SIZE } from './threadpool.js';

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import {
  aliceLogin,
  DATABASE,
  median,
  postForm,
  remoteGrantSlice,
  run,
  STUBBED_HASH,
  withTessera,
} from './lib.js';
import { protectionsSeed } from './protections.js';

/**
 * A password login's own CPU, without its hash (issue 17, item 4: "non-hash
 * cost per login < 0.5 ms of CPU"). The same in-process Tessera as
 * password-grant.ts, but its password check is stubbed: it answers at once
 * (right for alice's password), so what the server's process spends per
 * login is everything else (HTTP, client authentication, attack
 * protection, the user lookup, signing, the login's count and audit event).
 * The load comes from the load process, at 8 and at 32 in flight.
 *
 * Why not subtract argon2's CPU from a real login's (password-grant.ts)?
 * That difference, about 2 ms here, is 3× this one: argon2id streams through
 * 19 MiB per hash, evicting the main thread's code and data from the shared
 * caches, so the same JavaScript runs several times slower beside it. That
 * cost is real (and in password-grant's ratio), but it is argon2's memory
 * traffic, not work a login could leave out.
 *
 *     npm run bench:login-cost [-- --protections default] [-- --rounds 5]
 */

const { values: args } = parseArgs({
  options: { protections: { type: 'string' }, rounds: { type: 'string' }, logins: { type: 'string' } },
});
const PROTECTIONS = args.protections ?? process.env.BENCH_PROTECTIONS ?? 'off';
const ROUNDS = Number(args.rounds ?? 3);
const LOGINS = Number(args.logins ?? 4000);
const AIM_MS = 0.5;

const FORM = new URLSearchParams(aliceLogin()).toString();

run(() =>
  withTessera(
    protectionsSeed(PROTECTIONS),
    async (tessera) => {
      const check = await postForm(tessera.url, FORM);
      if (check.status !== 200)
        throw new Error(`the login failed: ${check.status} ${JSON.stringify(check.body)}`);
      console.log(
        `login-cost bench: ${availableParallelism()} cores, UV_THREADPOOL_SIZE=${THREADPOOL_SIZE}, password check stubbed, ` +
          `protections=${PROTECTIONS}, ${DATABASE === 'postgres' ? 'PostgreSQL' : 'SQLite (WAL)'}, ${ROUNDS} rounds of ${LOGINS} logins per concurrency`,
      );
      const load = { url: tessera.url, forms: [FORM] };
      await remoteGrantSlice({ ...load, connections: 8 }, 2000); // warm-up
      let failed = 0;
      for (const connections of [8, 32]) {
        const cpu: number[] = [];
        const busy: number[] = [];
        const rates: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          const s = await remoteGrantSlice({ ...load, connections }, LOGINS);
          failed += s.non2xx + s.errors + s.timeouts;
          cpu.push(s.cpuMs / Math.max(1, s.count));
          busy.push(s.loop.active / Math.max(1, s.count));
          rates.push(s.rate);
        }
        const ms = median(cpu);
        console.log(
          `  c=${String(connections).padEnd(3)} ${median(rates).toFixed(0).padStart(6)} logins/s; CPU per login ${ms.toFixed(3)} ms ` +
            `(rounds ${cpu.map((x) => x.toFixed(3)).join(', ')}); main thread busy ${median(busy).toFixed(3)} ms per login; ` +
            `aim < ${AIM_MS} ms: ${ms < AIM_MS ? 'MET' : 'NOT MET'}`,
        );
      }
      if (failed > 0) {
        console.error(`FAILED: ${failed} logins were not answered 200`);
        process.exitCode = 1;
      }
    },
    STUBBED_HASH,
  ),
);
