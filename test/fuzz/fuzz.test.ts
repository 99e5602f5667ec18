import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { putSetting } from '../../src/store/repos/settings.js';
import { ALICE, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { setUpMfa } from '../mfa/helpers.js';
import { type FuzzTokens, describeRequest, fuzzRequest } from './generator.js';

/**
 * Malformed requests across every endpoint, on both databases: none may
 * answer 5xx, and every error is a JSON OAuth error with the security
 * headers. The seed is printed; TESSERA_FUZZ_SEED replays a run,
 * TESSERA_FUZZ_COUNT sets its size (per database).
 */
const SEED = process.env.TESSERA_FUZZ_SEED ? Number(process.env.TESSERA_FUZZ_SEED) : randomInt(2 ** 31);
const COUNT = Number(process.env.TESSERA_FUZZ_COUNT ?? 1500);
console.log(`# fuzz seed ${SEED} (TESSERA_FUZZ_SEED=${SEED} replays it), ${COUNT} requests per database`);

/** What is wrong with an answer, or undefined. */
function problem(
  path: string,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
): string | undefined {
  // 501 is Auth0's (and the spec's) answer to an unknown grant type, not a server fault.
  const unsupportedGrant = res.statusCode === 501 && res.body.includes('"unsupported_grant_type"');
  if (res.statusCode >= 500 && !unsupportedGrant) return `status ${res.statusCode}`;
  if (res.headers['x-content-type-options'] !== 'nosniff') return 'no security headers';
  if (res.statusCode < 400) return undefined;
  const type = String(res.headers['content-type'] ?? '');
  // The unblock link answers its own HTML pages (fixed texts) to a bad ticket.
  if (path.startsWith('/unblock') && type.startsWith('text/html')) return undefined;
  if (!type.startsWith('application/json')) return `content-type ${type}`;
  if (res.body === '') return 'empty error body'; // HEAD
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return 'error body is not JSON';
  }
  const b = body as Record<string, unknown>;
  if (typeof b.error !== 'string' || typeof b.error_description !== 'string')
    return `not an OAuth error: ${res.body.slice(0, 200)}`;
  return undefined;
}

for (const kind of storeKinds) {
  describe(`fuzz: malformed requests (${kind.name})`, () => {
    let t: TestApp;
    const tokens: FuzzTokens = {};
    before(async () => {
      t = await startTestApp(kind);
      // Real tokens, so that some requests get past the first checks: Alice's, then an
      // mfa_token once MFA is required (which Alice's later logins also meet).
      await setUpMfa(t, []);
      const login = () =>
        tokenRequest(t.app, {
          grant_type: 'password',
          username: ALICE.email,
          password: ALICE.password,
          client_id: 'mfa-app',
          client_secret: SECRET,
          scope: 'openid offline_access read:orders',
        });
      const ok = (await login()).json();
      Object.assign(tokens, { access: ok.access_token, refresh: ok.refresh_token, id: ok.id_token });
      await putSetting(t.rt.store.db, 'guardian', {
        policies: ['all-applications'],
        factors: { otp: true, sms: true, email: true, 'recovery-code': true },
      });
      tokens.mfa = (await login()).json().mfa_token;
      assert.ok(tokens.access && tokens.refresh && tokens.id && tokens.mfa);
    });
    after(() => t.close());

    it(`answers ${COUNT} malformed requests without a 5xx, with JSON errors`, async () => {
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      for (let i = 0; i < COUNT; i++) {
        const r = fuzzRequest(SEED, i, tokens);
        const res = await t.app.inject({
          method: r.method,
          url: r.url,
          headers: r.headers,
          payload: r.payload,
          remoteAddress: r.remoteAddress,
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const wrong = r.method === 'HEAD' && res.statusCode < 500 ? undefined : problem(r.url, res);
        if (wrong && failures.length < 20) failures.push(`#${i}: ${wrong}\n  ${describeRequest(r)}`);
        // Attack protection only slows the fuzzer down: advance past throttles now and then.
        if (i % 200 === 199) t.clock.advance(86_400_000);
      }
      console.log(
        `# ${kind.name}: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
      );
      assert.deepEqual(failures, [], `seed ${SEED}:\n${failures.join('\n')}`);
    });
  });
}
