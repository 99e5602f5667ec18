import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildServer } from '../../src/server.js';
import { ALICE, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { memoryLogger } from '../helpers/memory-log.js';

describe('a login refused by admission control (503) is logged as a refusal, not a fault', () => {
  let t: TestApp;
  let app: TestApp['app'];
  const log = memoryLogger();
  before(async () => {
    // A budget of 1 ms: no hash fits, every password login is refused at the precheck.
    t = await startTestApp(storeKinds[0]!, { env: { TESSERA_ADMISSION_BUDGET_MS: '1' } });
    app = await buildServer(t.rt, { loggerInstance: log.logger });
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  it('one info line without a stack: under overload the excess must cost next to nothing', async () => {
    const res = await tokenRequest(app, {
      grant_type: 'password',
      username: ALICE.email,
      password: ALICE.password,
      client_id: 'acme-web',
      client_secret: SECRET,
    });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), {
      error: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable. Try again later.',
    });
    assert.equal(res.headers['retry-after'], '1');
    const lines = log.records();
    const refusals = lines.filter((l) => l.msg === 'request refused');
    assert.equal(refusals.length, 1, JSON.stringify(lines));
    assert.equal(refusals[0]!.level, 30);
    assert.equal(refusals[0]!.status, 503);
    assert.equal(refusals[0]!.error, 'temporarily_unavailable');
    assert.match(String(refusals[0]!.detail), /^overloaded: /);
    assert.doesNotMatch(JSON.stringify(lines), /"stack"/);
    assert.equal(lines.filter((l) => Number(l.level) >= 50).length, 0);
  });
});
