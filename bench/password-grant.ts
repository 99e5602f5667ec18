// First: sizes libuv's thread pool before anything uses it (see the module).
import { THREADPOOL_SIZE } from './threadpool.js';

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { hashPassword, verifyPassword } from '../src/identity/passwords.js';
import { ALICE } from '../test/helpers/app.js';
import {
  CONCURRENCY,
  DATABASE,
  aliceLogin,
  alternateRounds,
  benchTiming,
  opsSlice,
  postForm,
  remoteGrantSlice,
  report,
  run,
  withTessera,
} from './lib.js';
import { protectionsSeed } from './protections.js';

/**
 * How close does the password grant get to the cost of its argon2id check?
 * The grant does one argon2id verification plus everything else (HTTP, client
 * auth, SQLite reads and writes, RSA signatures, the audit event). With the
 * same number of requests in flight, grant req/s divided by raw argon2id
 * verifies/s says how much of the machine the rest costs. Target (issue 17):
 * >= 0.97 on SQLite, >= 0.95 on PostgreSQL, at 8 and at 32 in flight.
 */

const TARGET_RATIO = DATABASE === 'postgres' ? 0.95 : 0.97;

const { values: args } = parseArgs({
  options: { duration: { type: 'string' }, scope: { type: 'string' }, protections: { type: 'string' } },
});
const timing = benchTiming(args.duration);
// Attack protection: off (the default), default (Auth0's) or all (see protections.ts).
const PROTECTIONS = args.protections ?? process.env.BENCH_PROTECTIONS ?? 'off';

// By default the plainest login: an access token for the Orders API (the
// tenant's default audience), one RSA signature. `--scope "openid profile
// email read:orders"` adds an ID token, so a second signature on the pool.
const SCOPE = args.scope ?? process.env.BENCH_SCOPE ?? '';
const GRANT_FORM = new URLSearchParams(aliceLogin(SCOPE ? { scope: SCOPE } : {})).toString();

/** One request outside the load, so a broken setup fails with its answer rather than a count. */
async function checkOneGrant(url: string): Promise<void> {
  const { status, body } = await postForm(url, GRANT_FORM);
  if (status !== 200 || !body.access_token) {
    throw new Error(`the password grant does not work: ${status} ${JSON.stringify(body)}`);
  }
}

run(() =>
  withTessera(protectionsSeed(PROTECTIONS), async (tessera) => {
    await checkOneGrant(tessera.url);
    const hash = await hashPassword(ALICE.password);

    console.log(
      `password-grant bench: ${availableParallelism()} cores, UV_THREADPOOL_SIZE=${THREADPOOL_SIZE}, ` +
        `${CONCURRENCY} in flight, ${timing.duration} s of each, scope="${SCOPE}", protections=${PROTECTIONS}, ` +
        `${DATABASE === 'postgres' ? 'PostgreSQL' : 'SQLite (WAL)'} in ${tessera.dir}`,
    );
    const load = { url: tessera.url, forms: [GRANT_FORM] };
    const rounds = await alternateRounds({
      timing,
      // Raw argon2id verifications, the grant's own (OWASP parameters).
      baseline: (seconds) =>
        opsSlice(seconds, async () => {
          const { ok } = await verifyPassword(hash, ALICE.password);
          if (!ok) throw new Error('argon2id verification failed on the right password');
        }),
      grant: (amount) => remoteGrantSlice(load, amount),
    });
    report({
      timing,
      rounds,
      baseline: {
        label: 'argon2id verify',
        unit: 'verifies/s',
        series: 'argon2 runs',
        rateName: 'argon2_verifies_per_s',
      },
      grant: {
        label: 'password grant',
        unit: 'req/s',
        series: 'grant rounds',
        rateName: 'grant_rps',
        noun: 'grant',
        op: 'login',
        plural: 'logins',
      },
      target: TARGET_RATIO,
    });
  }),
);
