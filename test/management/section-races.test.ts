import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { CONFIG_SCOPES } from './config-helpers.js';
import { machineToken, managementCall, seedMachineClient } from './helpers.js';

const SCRIPT = 'function (user, context, callback) { callback(null, user, context); }';

/**
 * Rules, actions, rules-configs and client grants are each one stored list:
 * every change to one reads the list and writes it back. Racing changes of
 * one node are applied one at a time, so none is lost: creations racing a
 * deletion all land, and the deletion too.
 */
for (const kind of storeKinds) {
  describe(`Management API: racing changes to one list all land (${kind.name})`, () => {
    let t: TestApp;
    let token: string;
    before(async () => {
      t = await startTestApp(kind);
      token = await machineToken(t.app, await seedMachineClient(t.rt, 'm2m-races', CONFIG_SCOPES));
    });
    after(() => t.close());

    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
      managementCall(t.app, token, method, url, payload);

    it('deletions racing creations: every creation and every deletion is kept', async () => {
      const victims: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await call('POST', 'rules', { name: `victim-${i}`, script: SCRIPT });
        assert.equal(res.statusCode, 201, res.body);
        victims.push(res.json().id);
      }
      const answers = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => call('POST', 'rules', { name: `racer-${i}`, script: SCRIPT })),
        ...victims.map((id) => call('DELETE', `rules/${id}`)),
      ]);
      assert.deepEqual(
        answers.map((r) => r.statusCode),
        [201, 201, 201, 201, 201, 201, 204, 204, 204],
      );
      const names = ((await call('GET', 'rules')).json() as { name: string }[]).map((r) => r.name).sort();
      assert.deepEqual(names, ['racer-0', 'racer-1', 'racer-2', 'racer-3', 'racer-4', 'racer-5']);
    });
  });
}
