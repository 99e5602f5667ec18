import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashClientSecret } from '../../src/tokens/client-secret.js';
import { upsertClient } from '../../src/store/repos/clients.js';
import { findConnectionById, upsertConnection } from '../../src/store/repos/connections.js';
import { ALICE, API, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { spyOnPgStatements } from '../helpers/pg-spy.js';
import { storeKinds } from '../helpers/stores.js';

/**
 * PostgreSQL round trips per token request (every statement is one, BEGIN
 * and COMMIT included), counted at the driver, with the configuration cache
 * warm. The budgets are what the hot path takes now: a new statement on the
 * path fails here and must be paid for on purpose.
 */
const BUDGET = {
  // the user with their authorization for the login's API (one statement), the login's count
  // with its audit event (one statement)
  password: 2,
  // the token with its user and the user's authorization (one statement); the rotation: one
  // statement (consume, with the parent's sealed successor forgotten, the successor's INSERT and
  // the audit event's, no BEGIN/COMMIT)
  rotatingRefresh: 2,
};

const kind = storeKinds.find((k) => k.name === 'postgres');

describe('PostgreSQL round trips per token request', { skip: !kind }, () => {
  let t: TestApp;
  let spy: ReturnType<typeof spyOnPgStatements>;
  before(async () => {
    t = await startTestApp(kind!);
    const now = t.rt.now();
    await upsertClient(
      t.rt.store.db,
      {
        client_id: 'rt-rotating',
        name: 'rotating',
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['password', 'refresh_token'],
        refresh_token: { rotation_type: 'rotating', leeway: 0, expiration_type: 'expiring' },
      },
      hashClientSecret(SECRET),
      now,
    );
    const conn = (await findConnectionById(t.rt.store.db, 'con_default'))!;
    await upsertConnection(
      t.rt.store.db,
      { ...conn, enabled_clients: [...conn.enabled_clients, 'rt-rotating'] },
      now,
    );
    spy = spyOnPgStatements();
  });
  after(async () => {
    spy.restore();
    await t.close();
  });

  /** The statements one request sends, once the same request warmed the caches. */
  async function counted(
    form: () => Record<string, string>,
    warmed?: (body: any) => void,
  ): Promise<{ body: any; sql: string[] }> {
    const warm = await tokenRequest(t.app, form());
    assert.equal(warm.statusCode, 200, warm.body);
    warmed?.(warm.json());
    spy.start();
    const res = await tokenRequest(t.app, form());
    const sql = spy.stop().map((s) => s.text);
    assert.equal(res.statusCode, 200, res.body);
    return { body: res.json(), sql };
  }

  const password = (scope?: string) => ({
    grant_type: 'password',
    username: ALICE.email,
    password: ALICE.password,
    client_id: 'rt-rotating',
    client_secret: SECRET,
    audience: API,
    ...(scope ? { scope } : {}),
  });

  it(`a password login: at most ${BUDGET.password}`, async () => {
    const { sql } = await counted(() => password());
    assert.ok(sql.length <= BUDGET.password, `${sql.length} round trips:\n${sql.join('\n')}`);
  });

  it(`a rotating refresh: at most ${BUDGET.rotatingRefresh}`, async () => {
    let token = (await tokenRequest(t.app, password('offline_access'))).json().refresh_token as string;
    const refresh = () => ({
      grant_type: 'refresh_token',
      client_id: 'rt-rotating',
      client_secret: SECRET,
      refresh_token: token,
    });
    const { body, sql } = await counted(refresh, (warm) => {
      token = warm.refresh_token;
    });
    assert.equal(typeof body.refresh_token, 'string');
    assert.notEqual(body.refresh_token, token);
    assert.ok(sql.length <= BUDGET.rotatingRefresh, `${sql.length} round trips:\n${sql.join('\n')}`);
  });
});
