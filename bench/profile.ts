// First: sizes libuv's thread pool before anything uses it (see the module).
import './threadpool.js';

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { hashClientSecret } from '../src/tokens/client-secret.js';
import type { Runtime } from '../src/runtime.js';
import { upsertClient } from '../src/store/repos/clients.js';
import { findConnectionById, upsertConnection } from '../src/store/repos/connections.js';
import { ALICE, API, SECRET } from '../test/helpers/app.js';
import { summarize } from './cpuprofile.js';
import {
  CONCURRENCY,
  DATABASE,
  type GrantLoad,
  postForm,
  remoteGrantSlice,
  run,
  STUBBED_HASH,
  withTessera,
} from './lib.js';

/**
 * A CPU profile of the server while autocannon (in its own process) drives
 * one grant: `--grant refresh` (rotating refresh tokens) or `--grant
 * password`. The profiler runs only during the measured load, not during the
 * setup or the warm-up; the profile is written to `--out` (open it in Chrome
 * DevTools) and summarized: self time by function and by area.
 *
 *     npm run bench:profile -- --grant refresh --seconds 10
 *     BENCH_DATABASE=postgres npm run bench:profile -- --grant password
 *     npm run bench:profile -- --grant password --stub-hash
 */

const { values: args } = parseArgs({
  options: {
    grant: { type: 'string', default: 'refresh' },
    seconds: { type: 'string', default: '10' },
    out: { type: 'string' },
    top: { type: 'string', default: '25' },
    'stub-hash': { type: 'boolean', default: false },
  },
});
const GRANT = args.grant === 'password' ? 'password' : 'refresh';
const SECONDS = Number(args.seconds);
const OUT = args.out ?? `/tmp/tessera-${GRANT}-${DATABASE}.cpuprofile`;

const CLIENT_ID = 'profile-rotating';

/** `--stub-hash`: the password check answers at once, as in login-cost.ts, so a
 *  password login's profile shows its own work without argon2 beside it. */
const STUB = args['stub-hash'] ? STUBBED_HASH : undefined;
async function seed(rt: Runtime): Promise<void> {
  const now = rt.now();
  await upsertClient(
    rt.store.db,
    {
      client_id: CLIENT_ID,
      name: 'Profile (rotating refresh tokens)',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['password', 'refresh_token'],
      refresh_token: { rotation_type: 'rotating', leeway: 0, expiration_type: 'expiring' },
    },
    hashClientSecret(SECRET),
    now,
  );
  const conn = await findConnectionById(rt.store.db, 'con_default');
  if (!conn) throw new Error('the test tenant has no con_default connection');
  await upsertConnection(
    rt.store.db,
    { ...conn, enabled_clients: [...conn.enabled_clients, CLIENT_ID] },
    now,
  );
}

const passwordForm = (scope?: string) =>
  new URLSearchParams({
    grant_type: 'password',
    username: ALICE.email,
    password: ALICE.password,
    client_id: CLIENT_ID,
    client_secret: SECRET,
    audience: API,
    ...(scope ? { scope } : {}),
  }).toString();

run(() =>
  withTessera(
    seed,
    async ({ url }) => {
      let load: GrantLoad;
      if (GRANT === 'refresh') {
        const tokens: string[] = [];
        for (let i = 0; i < CONCURRENCY; i++) {
          const { status, body } = await postForm(url, passwordForm('offline_access read:orders'));
          if (status !== 200) throw new Error(`login failed: ${status} ${JSON.stringify(body)}`);
          tokens.push(body.refresh_token);
        }
        load = {
          url,
          forms: [],
          rotate: {
            fields: { grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: SECRET },
            tokens,
          },
        };
      } else {
        load = { url, forms: [passwordForm()] };
      }
      // Warm-up, sized to about two seconds.
      const warm = await remoteGrantSlice(load, CONCURRENCY * 4);
      const rate = (await remoteGrantSlice(load, Math.max(64, Math.round(warm.rate * 2)))).rate;

      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      const slice = await remoteGrantSlice(load, Math.max(64, Math.round(rate * SECONDS)));
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      writeFileSync(OUT, JSON.stringify(profile));

      console.log(
        `${GRANT} grant on ${DATABASE}, ${CONCURRENCY} in flight: ${slice.count} answered 200 in ` +
          `${slice.seconds.toFixed(1)} s (${slice.rate.toFixed(0)}/s), ${(slice.cpuMs / slice.count).toFixed(3)} ms ` +
          `of server CPU per request (all threads); statuses ${JSON.stringify(slice.statuses)}; profile: ${OUT}`,
      );
      console.log(summarize(profile, Number(args.top), slice.count));
    },
    STUB,
  ),
);
