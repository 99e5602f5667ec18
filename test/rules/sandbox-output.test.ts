import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { listEvents } from '../../src/store/repos/events.js';
import { startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';
import { action, alice, login, NS, rule, type Scripts, setScripts } from './helpers.js';

const FAILED = {
  error: 'access_denied',
  error_description: 'The login was refused because a rule or action failed.',
};

// The sandbox does not depend on the database: SQLite is enough here.
const sqlite = storeKinds.find((k) => k.name === 'sqlite')!;

describe('rules sandbox: caps on what scripts hand back', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(sqlite);
  });
  after(() => t.close());
  beforeEach(() => setScripts(t, {}));

  /** A login with these scripts fails closed; returns the audit event's reason. */
  async function refused(scripts: Scripts): Promise<string> {
    await setScripts(t, scripts);
    const res = await tokenRequest(t.app, alice);
    assert.equal(res.statusCode, 403, res.body);
    assert.deepEqual(res.json(), FAILED);
    assert.ok(res.body.length < 200);
    const [event] = await listEvents(t.rt.store.db, { limit: 1 });
    assert.equal(event!.type, 'fepft');
    return String((event!.details as { reason?: string }).reason);
  }

  it('a 10 MB claim fails the login, naming the rule and the cause', async () => {
    const reason = await refused({
      rules: [
        rule(
          'huge',
          `context.accessToken['${NS}big'] = 'x'.repeat(10 * 1024 * 1024); callback(null, user, context);`,
        ),
      ],
    });
    assert.match(
      reason,
      /^Rule "huge": (handed back 104\d{5} characters of JSON \(user, context or api calls; at most 1048576\)|ran out of memory)/,
    );
  });

  it('10,000 claims, or 17 KiB of them, fail the login', async () => {
    const many = await refused({
      rules: [
        rule(
          'many',
          `for (let i = 0; i < 10000; i++) context.accessToken['${NS}c' + i] = i; callback(null, user, context);`,
        ),
      ],
    });
    assert.equal(many, 'Rule "many": set 10000 custom claims on the access token (at most 100)');
    const large = await refused({
      rules: [
        rule('large', `context.idToken['${NS}big'] = 'x'.repeat(17 * 1024); callback(null, user, context);`),
      ],
    });
    assert.equal(
      large,
      `Rule "large": set ${17 * 1024 + `{"${NS}big":""}`.length} bytes of custom claims on the ID token (at most 16384, as JSON)`,
    );
  });

  it("actions add to the rules' claims, within the same caps", async () => {
    const reason = await refused({
      rules: [
        rule(
          'sixty',
          `for (let i = 0; i < 60; i++) context.accessToken['${NS}r' + i] = i; callback(null, user, context);`,
        ),
      ],
      actions: [
        action('sixty-more', `for (let i = 0; i < 60; i++) api.accessToken.setCustomClaim('${NS}a' + i, i);`),
      ],
    });
    assert.equal(reason, 'Action "sixty-more": set 120 custom claims on the access token (at most 100)');
  });

  it('up to the caps, claims go into the token', async () => {
    await setScripts(t, {
      rules: [
        rule(
          'hundred',
          `for (let i = 0; i < 100; i++) context.accessToken['${NS}c' + i] = 'v'.repeat(100); callback(null, user, context);`,
        ),
      ],
    });
    const { access } = await login(t);
    assert.equal(Object.keys(access).filter((k) => k.startsWith(NS)).length, 100);
  });

  it('too many scopes, or an MFA provider that is not a name, fail the login', async () => {
    const scopes = await refused({
      actions: [action('scopes', `for (let i = 0; i < 1000; i++) api.accessToken.addScope('s' + i);`)],
    });
    assert.match(scopes, /^Action "scopes": granted 10\d\d scopes \(at most 100\)$/);
    const long = await refused({
      rules: [
        rule('long-scope', `context.accessToken.scope = ['a'.repeat(5000)]; callback(null, user, context);`),
      ],
    });
    assert.equal(long, 'Rule "long-scope": granted a scope string of 5000 characters (at most 4096)');
    const mfa = await refused({
      rules: [
        rule('mfa', `context.multifactor = { provider: 'x'.repeat(100000) }; callback(null, user, context);`),
      ],
    });
    assert.match(mfa, /^Rule "mfa": asked for MFA with a provider that is not a name/);
  });

  it('long messages are cut: thrown errors, UnauthorizedError, deny reasons', async () => {
    const thrown = await refused({ rules: [rule('throws', `throw new Error('e'.repeat(1e6));`)] });
    assert.equal(thrown, `Rule "throws": Error: ${'e'.repeat(500 - 'Error: '.length - 1)}…`);

    await setScripts(t, {
      rules: [rule('unauthorized', `callback(new UnauthorizedError('u'.repeat(1e6)));`)],
    });
    const res = await tokenRequest(t.app, alice);
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { error: 'unauthorized', error_description: `${'u'.repeat(499)}…` });

    await setScripts(t, { actions: [action('deny', `api.access.deny('d'.repeat(1e6));`)] });
    const denied = await tokenRequest(t.app, alice);
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(denied.json(), { error: 'access_denied', error_description: `${'d'.repeat(499)}…` });
  });
});
