import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errors } from '../../src/errors/index.js';
import { passwordLoginContext } from '../../src/login/build.js';
import type { LoginContext, LoginStep } from '../../src/login/context.js';
import { MFA_LOGIN, PASSWORD_LOGIN, REFRESH_LOGIN, runLogin } from '../../src/login/pipeline.js';
import type { Client } from '../../src/store/repos/clients.js';
import type { Connection } from '../../src/store/repos/connections.js';
import { listEvents } from '../../src/store/repos/events.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

/**
 * runLogin's failure path: when a step fails, the onFailure of that step
 * and of the steps before it runs (latest first), a step without one is
 * skipped, an onFailure that throws does not stop the others, and the
 * failure is recorded with the code of its kind (or the entrance's).
 */
describe('login pipeline: steps own their failure path', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(storeKinds[0]!);
  });
  after(() => t.close());

  const client = { client_id: 'acme-web', name: 'Acme Web', grant_types: ['password'] } as unknown as Client;
  const connection = { id: 'con_default', name: 'Username-Password-Authentication' } as unknown as Connection;
  const context = (): LoginContext =>
    passwordLoginContext(
      { rt: t.rt, client, request: { ip: '127.0.0.1', clientIp: '127.0.0.1', body: {} } },
      {
        grantType: 'password',
        connection,
        username: 'alice@acme.test',
        password: 'pw',
        api: undefined,
        requestedScopes: [],
        scopes: ['openid'],
        echoScope: false,
      },
    );
  const latest = async () => (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;

  /** A step that records its run and its failure half in `log`. */
  const step = (name: string, log: string[], opts: { fail?: () => Error; settle?: boolean } = {}) => {
    const s: LoginStep = {
      name,
      async run() {
        log.push(`run ${name}`);
        if (opts.fail) throw opts.fail();
      },
    };
    if (opts.settle !== false) {
      s.onFailure = async (_ctx, err) => {
        log.push(`onFailure ${name}: ${(err as Error).message}`);
      };
    }
    return s;
  };

  it("runs the failing step's onFailure and those of the steps before it, latest first", async () => {
    const log: string[] = [];
    const steps = [
      step('a', log),
      step('b', log, { settle: false }),
      step('c', log, { fail: () => new Error('boom') }),
      step('d', log),
    ];
    await assert.rejects(runLogin(context(), steps), /boom/);
    assert.deepEqual(log, ['run a', 'run b', 'run c', 'onFailure c: boom', 'onFailure a: boom']);
    const e = await latest();
    assert.equal(e.type, 'fepft');
    assert.equal(e.description, 'internal error');
  });

  it('a step without onFailure does not break the chain, nor does an onFailure that throws', async () => {
    const log: string[] = [];
    const throwing: LoginStep = {
      name: 'throwing',
      async run() {
        log.push('run throwing');
      },
      async onFailure() {
        log.push('onFailure throwing');
        throw new Error('settling failed');
      },
    };
    const failing: LoginStep = {
      name: 'failing',
      async run(ctx) {
        ctx.failure = 'wrong-password';
        throw errors.wrongCredentials('wrong password');
      },
    };
    const steps = [step('first', log), throwing, step('plain', log, { settle: false }), failing];
    await assert.rejects(runLogin(context(), steps), { message: 'Wrong email or password.' });
    assert.deepEqual(log, [
      'run first',
      'run throwing',
      'run plain',
      'onFailure throwing',
      'onFailure first: Wrong email or password.',
    ]);
    // The failure kind chose the audit code.
    const e = await latest();
    assert.equal(e.type, 'fp');
    assert.equal(e.user_name, 'alice@acme.test');
  });

  it('runs no onFailure when every step succeeds', async () => {
    const log: string[] = [];
    const answer: LoginStep = {
      name: 'answer',
      async run(ctx) {
        ctx.response = { access_token: 'at', expires_in: 60, token_type: 'Bearer' };
      },
    };
    const res = await runLogin(context(), [step('a', log), answer]);
    assert.equal(res.access_token, 'at');
    assert.deepEqual(log, ['run a']);
  });

  it('checks breached passwords as a step of the password login only', () => {
    assert.deepEqual(
      PASSWORD_LOGIN.map((s) => s.name),
      [
        'protection.precheck',
        'identity.verify',
        'protection.record',
        'breached.check',
        'authz.load',
        'rules.run',
        'mfa.decide',
        'metadata.write',
        'tokens.issue',
        'events.log',
      ],
    );
    assert.deepEqual(
      MFA_LOGIN.map((s) => s.name),
      ['metadata.write', 'tokens.issue', 'events.log'],
    );
    assert.deepEqual(
      REFRESH_LOGIN.map((s) => s.name),
      // refresh.redeem writes the success's audit event in the rotation's transaction.
      ['authz.load', 'rules.run', 'metadata.write', 'tokens.issue', 'refresh.redeem'],
    );
    // Only the step that reserved the attempt settles it.
    assert.deepEqual(
      PASSWORD_LOGIN.filter((s) => s.onFailure).map((s) => s.name),
      ['protection.precheck'],
    );
  });
});
