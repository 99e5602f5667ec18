import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { getSetting, putSetting } from '../../src/store/repos/settings.js';
import { ALICE_LOGIN, API, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { CONFIG_SCOPES } from './config-helpers.js';
import { MGMT_AUDIENCE, machineToken, managementCall, seedMachineClient } from './helpers.js';

/** An action that sets the claim `https://acme.test/who` to `who`. */
const tagging = (who: string) =>
  `exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('https://acme.test/who', '${who}'); };`;

/**
 * As in Auth0, an action created through the Management API runs at logins
 * only once it is bound to the trigger (`PATCH /actions/triggers/post-login/
 * bindings`, scope update:triggers): a token that may create actions cannot
 * by that alone put code into every login. The bindings are the bound
 * actions in their running order; a PATCH replaces them all.
 */
for (const kind of storeKinds) {
  describe(`Management API: post-login trigger bindings (${kind.name})`, () => {
    let t: TestApp;
    let full: string;
    let actionsOnly: string;
    before(async () => {
      t = await startTestApp(kind);
      const all = [...CONFIG_SCOPES, 'read:triggers', 'update:triggers'];
      full = await machineToken(t.app, await seedMachineClient(t.rt, 'm2m-bind', all));
      actionsOnly = await machineToken(
        t.app,
        await seedMachineClient(t.rt, 'm2m-actions', ['read:actions', 'create:actions', 'update:actions']),
      );
    });
    after(() => t.close());
    beforeEach(() => t.clock.advance(10_000));

    const call = (
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      token: string,
      payload?: unknown,
    ) => managementCall(t.app, token, method, url, payload);
    const create = async (name: string, token = full, extra: Record<string, unknown> = {}) => {
      const res = await call('POST', 'actions/actions', token, {
        name,
        supported_triggers: [{ id: 'post-login', version: 'v3' }],
        code: tagging(name),
        ...extra,
      });
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as { id: string; name: string };
    };
    const who = async () => {
      const res = await tokenRequest(t.app, ALICE_LOGIN);
      assert.equal(res.statusCode, 200, res.body);
      return decodeJwt(res.json().access_token)['https://acme.test/who'];
    };
    const bind = (refs: unknown[], token = full) =>
      call('PATCH', 'actions/triggers/post-login/bindings', token, { bindings: refs });
    const bound = async () => {
      const res = await call('GET', 'actions/triggers/post-login/bindings', full);
      assert.equal(res.statusCode, 200, res.body);
      return (res.json().bindings as { action: { name: string } }[]).map((b) => b.action.name);
    };
    const cleanUp = async (...ids: string[]) => {
      assert.equal((await bind([])).statusCode, 200);
      for (const id of ids)
        assert.equal((await call('DELETE', `actions/actions/${id}`, full)).statusCode, 204);
    };

    it('a created action does not run until it is bound; bindings set the order; [] unbinds all', async () => {
      const a = await create('first');
      const b = await create('second');
      assert.equal(a.id.startsWith('act_'), true);
      assert.equal((await call('GET', `actions/actions/${a.id}`, full)).json().enabled, false);
      assert.equal(await who(), undefined, 'an unbound action does not run');
      assert.deepEqual(await bound(), []);

      const res = await bind([
        { ref: { type: 'action_name', value: 'second' }, display_name: 'second' },
        { ref: { type: 'action_id', value: a.id } },
      ]);
      assert.equal(res.statusCode, 200, res.body);
      const bindings = res.json().bindings as Record<string, any>[];
      assert.deepEqual(
        bindings.map((x) => [x.trigger_id, x.display_name, x.action.id, x.action.name]),
        [
          ['post-login', 'second', b.id, 'second'],
          ['post-login', 'first', a.id, 'first'],
        ],
      );
      assert.ok(bindings.every((x) => typeof x.id === 'string' && x.id !== x.action.id));
      // Run in the bound order: the last one's claim stays.
      assert.equal(await who(), 'first');
      const listed = await call('GET', 'actions/triggers/post-login/bindings', full);
      assert.deepEqual(listed.json(), { bindings, total: 2, page: 0, per_page: 50 });

      // A binding id names its action too; the reversed order runs reversed.
      assert.equal(
        (
          await bind([
            { ref: { type: 'binding_id', value: bindings[1]!.id } },
            { ref: { type: 'action_id', value: b.id } },
          ])
        ).statusCode,
        200,
      );
      assert.deepEqual(await bound(), ['first', 'second']);
      assert.equal(await who(), 'second');

      assert.equal((await bind([])).statusCode, 200);
      assert.deepEqual(await bound(), []);
      assert.equal(await who(), undefined);
      await cleanUp(a.id, b.id);
    });

    it('update:triggers is needed to bind, and to create or change an action as enabled', async () => {
      const a = await create('guarded', actionsOnly);
      const refusal = {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected any of: update:triggers',
        errorCode: 'insufficient_scope',
      };
      const byBind = await bind([{ ref: { type: 'action_id', value: a.id } }], actionsOnly);
      assert.deepEqual([byBind.statusCode, byBind.json()], [403, refusal]);
      const byCreate = await call('POST', 'actions/actions', actionsOnly, {
        name: 'sneaky',
        supported_triggers: [{ id: 'post-login' }],
        code: tagging('sneaky'),
        enabled: true,
      });
      assert.deepEqual([byCreate.statusCode, byCreate.json()], [403, refusal]);
      const byUpdate = await call('PATCH', `actions/actions/${a.id}`, actionsOnly, { enabled: true });
      assert.deepEqual([byUpdate.statusCode, byUpdate.json()], [403, refusal]);
      const byOrder = await call('PATCH', `actions/actions/${a.id}`, actionsOnly, { order: 1 });
      assert.deepEqual([byOrder.statusCode, byOrder.json()], [403, refusal]);
      assert.equal(await who(), undefined, 'nothing of it runs');
      assert.equal((await call('GET', 'actions/triggers/post-login/bindings', actionsOnly)).statusCode, 403);

      // With the scope, `enabled: true` binds it (Tessera's shorthand for a binding).
      const on = await call('PATCH', `actions/actions/${a.id}`, full, { enabled: true });
      assert.equal(on.statusCode, 200, on.body);
      assert.equal(await who(), 'guarded');
      // A change of its code alone needs no more than update:actions, as a deploy of a bound action in Auth0.
      const changed = await call('PATCH', `actions/actions/${a.id}`, actionsOnly, {
        code: tagging('changed'),
      });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.equal(await who(), 'changed');
      await cleanUp(a.id);
    });

    it('refuses bad bindings by name, and writes nothing', async () => {
      const a = await create('only');
      assert.equal((await bind([{ ref: { type: 'action_id', value: a.id } }])).statusCode, 200);
      const bad = (message: string) => ({
        statusCode: 400,
        error: 'Bad Request',
        message,
        errorCode: 'invalid_body',
      });
      const cases: [unknown[], string][] = [
        [[{ ref: { type: 'action_name', value: 'ghost' } }], 'bindings[0].ref: no action named "ghost"'],
        [
          [{ ref: { type: 'action_id', value: 'act_ghost' } }],
          'bindings[0].ref: no action with id "act_ghost"',
        ],
        [
          [{ ref: { type: 'binding_id', value: 'bnd_ghost' } }],
          'bindings[0].ref: no binding with id "bnd_ghost"',
        ],
        [
          [{ ref: { type: 'action_id', value: a.id } }, { ref: { type: 'action_name', value: 'only' } }],
          'bindings[1].ref: action "only" is bound twice',
        ],
      ];
      for (const [refs, message] of cases) {
        const res = await bind(refs);
        assert.deepEqual([res.statusCode, res.json()], [400, bad(`Payload validation error: ${message}`)]);
      }
      const noValue = await bind([{ ref: { type: 'action_id' } }]);
      assert.equal(noValue.statusCode, 400);
      const secrets = await bind([
        { ref: { type: 'action_id', value: a.id }, secrets: [{ name: 'X', value: 'y' }] },
      ]);
      assert.equal(secrets.statusCode, 400);
      assert.match(secrets.json().message, /secrets/);
      const trigger = await call('GET', 'actions/triggers/credentials-exchange/bindings', full);
      assert.deepEqual(
        [trigger.statusCode, trigger.json()],
        [
          404,
          {
            statusCode: 404,
            error: 'Not Found',
            message:
              'Trigger "credentials-exchange" is not supported: Tessera runs actions at post-login only.',
            errorCode: 'not_found',
          },
        ],
      );
      assert.deepEqual(await bound(), ['only'], 'nothing was written');
      await cleanUp(a.id);
    });

    it('a bound action is deleted only with force=true (its binding goes with it), as in Auth0', async () => {
      const a = await create('bound-one');
      const b = await create('kept');
      assert.equal(
        (
          await bind([
            { ref: { type: 'action_id', value: a.id } },
            { ref: { type: 'action_id', value: b.id } },
          ])
        ).statusCode,
        200,
      );
      const refused = await call('DELETE', `actions/actions/${a.id}`, full);
      assert.deepEqual(
        [refused.statusCode, refused.json()],
        [
          409,
          {
            statusCode: 409,
            error: 'Conflict',
            message:
              'The action is bound to the post-login trigger: unbind it (PATCH /actions/triggers/post-login/bindings) or delete it with force=true.',
            errorCode: 'conflict',
          },
        ],
      );
      assert.deepEqual(await bound(), ['bound-one', 'kept'], 'nothing was deleted');
      assert.equal((await call('DELETE', `actions/actions/${a.id}?force=true`, full)).statusCode, 204);
      assert.deepEqual(await bound(), ['kept']);
      assert.equal(await who(), 'kept');
      await cleanUp(b.id);
    });

    it('lists actions filtered as Auth0 does: triggerId, actionName, deployed, installed', async () => {
      const a = await create('listed-a');
      const b = await create('listed-b');
      const names = async (query: string) => {
        const res = await call('GET', `actions/actions?${query}`, full);
        assert.equal(res.statusCode, 200, res.body);
        return (res.json().actions as { name: string }[]).map((x) => x.name);
      };
      assert.deepEqual(await names('actionName=listed-b'), ['listed-b']);
      assert.deepEqual(await names('actionName=listed'), [], 'a name matches whole');
      assert.deepEqual(await names('triggerId=post-login'), ['listed-a', 'listed-b']);
      assert.deepEqual(await names('triggerId=credentials-exchange'), []);
      // Every action is deployed (Tessera keeps no drafts) and none is a marketplace integration.
      assert.deepEqual(await names('deployed=true&actionName=listed-a'), ['listed-a']);
      assert.deepEqual(await names('installed=true'), []);
      assert.deepEqual(await names('installed=false&per_page=1&page=1'), ['listed-b']);
      const bad = await call('GET', 'actions/actions?deployed=maybe', full);
      assert.equal(bad.statusCode, 400);
      await cleanUp(a.id, b.id);
    });

    it('a password alone, or a token for another audience, reaches none of the new routes', async () => {
      // A user's token for the Management API audience: the password grant grants no management scope.
      const login = await tokenRequest(t.app, {
        ...ALICE_LOGIN,
        audience: MGMT_AUDIENCE,
        scope: 'update:triggers',
      });
      assert.equal(login.statusCode, 200, login.body);
      const userToken = login.json().access_token as string;
      // A machine token for the Orders API, from a client also granted the triggers' scopes here.
      const orders = await seedMachineClient(t.rt, 'm2m-orders', ['read:triggers', 'update:triggers']);
      await putSetting(t.rt.store.db, 'clientGrants', [
        ...((await getSetting<unknown[]>(t.rt.store.db, 'clientGrants')) ?? []),
        { client_id: 'm2m-orders', audience: API, scope: ['read:orders'] },
      ]);
      const otherAudience = await machineToken(t.app, orders, API);
      const refused = (message: string, errorCode: string) => ({
        statusCode: 401,
        error: 'Unauthorized',
        message,
        errorCode,
      });
      const routes: [method: 'GET' | 'PATCH' | 'DELETE', url: string, payload?: unknown][] = [
        ['GET', 'actions/triggers'],
        ['GET', 'actions/triggers/post-login/bindings'],
        ['PATCH', 'actions/triggers/post-login/bindings', { bindings: [] }],
        ['DELETE', 'actions/actions/act_any?force=true'],
      ];
      for (const [method, url, payload] of routes) {
        const asUser = await call(method, url, userToken, payload);
        assert.deepEqual(
          [asUser.statusCode, asUser.json()],
          [
            401,
            refused('The Management API takes tokens of the client_credentials grant only', 'invalid_token'),
          ],
          `${method} ${url} with a password-grant token`,
        );
        const elsewhere = await call(method, url, otherAudience, payload);
        assert.deepEqual(
          [elsewhere.statusCode, elsewhere.json()],
          [401, refused(`Bad audience: ${API}`, 'invalid_audience')],
          `${method} ${url} with a token for another audience`,
        );
      }
    });

    it('lists the one trigger Tessera supports', async () => {
      const res = await call('GET', 'actions/triggers', full);
      assert.deepEqual(
        [res.statusCode, res.json()],
        [
          200,
          {
            triggers: [
              {
                id: 'post-login',
                version: 'v3',
                status: 'CURRENT',
                runtimes: ['node18'],
                default_runtime: 'node18',
                compatible_triggers: [],
                binding_policy: 'trigger-bound',
              },
            ],
          },
        ],
      );
    });
  });
}
