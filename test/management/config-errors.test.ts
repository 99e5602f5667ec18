import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { listEvents } from '../../src/store/repos/events.js';
import { applyTenant } from '../../src/tenant/apply.js';
import { TenantFileError } from '../../src/tenant/schema.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { CONFIG_SCOPES } from './config-helpers.js';
import { machineToken, seedMachineClient } from './helpers.js';

const BROKEN = 'function (user, context, callback) {\n  callback(null, user, context;\n}';

for (const kind of storeKinds) {
  describe(`Management API configuration: refusals with exact bodies, audit events (${kind.name})`, () => {
    let t: TestApp;
    let full: string;
    let readOnly: string;
    before(async () => {
      t = await startTestApp(kind);
      full = await machineToken(t.app, await seedMachineClient(t.rt, 'm2m-config', CONFIG_SCOPES));
      readOnly = await machineToken(t.app, await seedMachineClient(t.rt, 'm2m-read', ['read:clients']));
    });
    after(() => t.close());
    beforeEach(() => t.clock.advance(10_000));

    const call = (
      method: 'POST' | 'PATCH' | 'PUT' | 'DELETE',
      url: string,
      token: string,
      payload?: unknown,
    ) =>
      t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify(payload ?? {}),
      });
    const bad = (message: string, errorCode = 'invalid_body') => ({
      statusCode: 400,
      error: 'Bad Request',
      message,
      errorCode,
    });

    it('refuses a rule that does not compile with the message apply gives, naming the rule and the position', async () => {
      const res = await call('POST', '/api/v2/rules', full, { name: 'broken', script: BROKEN });
      assert.equal(res.statusCode, 400);
      const message = res.json().message as string;
      assert.deepEqual(
        res.json(),
        bad(
          'Payload validation error: script: rule "broken" does not compile: line 2, column 24: missing ) after argument list',
        ),
      );
      await assert.rejects(
        applyTenant(t.rt.store, { rules: [{ name: 'broken', script: BROKEN }] }),
        (err: unknown) => {
          assert.ok(err instanceof TenantFileError);
          assert.deepEqual(err.errors, [`rules[0].${message.slice('Payload validation error: '.length)}`]);
          return true;
        },
      );
      const [fapi] = await listEvents(t.rt.store.db, { type: 'fapi', limit: 1 });
      assert.equal(fapi?.description, 'Create a Rule');
      assert.equal(fapi?.client_id, 'm2m-config');
    });

    it('refuses an unknown field', async () => {
      const res = await call('POST', '/api/v2/clients', full, { name: 'X', colour: 'red' });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), bad('Payload validation error: colour: unknown field'));
    });

    it('refuses a reference to a missing connection or client, as apply does', async () => {
      const res = await call('PATCH', '/api/v2/tenants/settings', full, { default_directory: 'nope' });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(
        res.json(),
        bad('Payload validation error: default_directory: unknown connection "nope"'),
      );
      const grant = await call('POST', '/api/v2/client-grants', full, {
        client_id: 'ghost',
        audience: 'https://tessera.test/api/v2/',
        scope: ['read:users'],
      });
      assert.deepEqual(grant.json(), bad('Payload validation error: client_id: unknown client "ghost"'));
    });

    it('refuses a client secret too short, a public client with one, by the client schema rules', async () => {
      const res = await call('POST', '/api/v2/clients', full, {
        name: 'Pub',
        token_endpoint_auth_method: 'none',
        client_secret: 'x'.repeat(20),
      });
      assert.deepEqual(
        res.json(),
        bad('Payload validation error: client_secret: not allowed when token_endpoint_auth_method is "none"'),
      );
    });

    it('refuses a token without the scope', async () => {
      const res = await call('POST', '/api/v2/clients', readOnly, { name: 'X' });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected any of: create:clients',
        errorCode: 'insufficient_scope',
      });
    });

    it('answers 404 for a missing object, 409 for a taken name', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v2/rules/rul_nothing',
        headers: { authorization: `Bearer ${full}` },
      });
      assert.deepEqual(res.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'The rule does not exist.',
        errorCode: 'inexistent_rule',
      });
      const taken = await call('POST', '/api/v2/connections', full, {
        name: 'Username-Password-Authentication',
        strategy: 'auth0',
      });
      assert.deepEqual(taken.json(), {
        statusCode: 409,
        error: 'Conflict',
        message: 'A connection with name "Username-Password-Authentication" already exists.',
        errorCode: 'conflict',
      });
    });

    it('refuses Liquid that does not parse in an email template', async () => {
      const res = await call('POST', '/api/v2/email-templates', full, {
        template: 'reset_email',
        body: '<p>{% if user %}</p>',
      });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().message, /^Payload validation error: body: /);
    });

    it('records a successful write as sapi with the calling client', async () => {
      const res = await call('POST', '/api/v2/rules', full, {
        name: 'fine',
        script: 'function (user, context, callback) { callback(null, user, context); }',
      });
      assert.equal(res.statusCode, 201);
      const [sapi] = await listEvents(t.rt.store.db, { type: 'sapi', limit: 1 });
      assert.equal(sapi?.description, 'Create a Rule');
      assert.equal(sapi?.client_id, 'm2m-config');
    });

    it('keeps every rule of concurrent creates', async () => {
      const script = 'function (user, context, callback) { callback(null, user, context); }';
      const answers = await Promise.all(
        ['c1', 'c2', 'c3', 'c4', 'c5'].map((name) => call('POST', '/api/v2/rules', full, { name, script })),
      );
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [201, 201, 201, 201, 201],
      );
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v2/rules',
        headers: { authorization: `Bearer ${full}` },
      });
      const names = list.json().map((r: { name: string }) => r.name);
      for (const n of ['c1', 'c2', 'c3', 'c4', 'c5']) assert.ok(names.includes(n), n);
    });
  });
}
