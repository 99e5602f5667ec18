import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildOrdersApi } from '../../examples/orders-api/server.js';
import { upsertResourceServer } from '../../src/store/repos/resource-servers.js';
import { ALICE, API, ISSUER, SECRET, startTestApp, type TestApp, tokenRequest } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const BILLING = 'https://api.acme.test/billing';

const INVALID_TOKEN = {
  status: 401,
  challenge: 'Bearer error="invalid_token", error_description="The access token is invalid or expired"',
  body: { error: 'invalid_token', error_description: 'The access token is invalid or expired' },
};

describe('examples/orders-api against a real Tessera', () => {
  let t: TestApp;
  let api: FastifyInstance;

  before(async () => {
    t = await startTestApp(storeKinds.find((k) => k.name === 'sqlite')!);
    // A second API that even defines read:orders: only the audience check can refuse its tokens.
    await upsertResourceServer(
      t.rt.store.db,
      { id: 'rs_billing', identifier: BILLING, scopes: [{ value: 'read:orders' }], signing_alg: 'RS256' },
      t.rt.now(),
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    api = await buildOrdersApi({
      issuer: ISSUER,
      audience: API,
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      // Tessera's tokens carry the test clock's time: the API must read the same clock.
      now: t.clock.now,
    });
  });

  after(async () => {
    await api?.close();
    await t?.close();
  });

  async function token(form: Record<string, string>): Promise<string> {
    const res = await tokenRequest(t.app, {
      grant_type: 'password',
      username: ALICE.email,
      password: ALICE.password,
      client_id: 'acme-web',
      client_secret: SECRET,
      ...form,
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().access_token;
  }

  const orders = (authorization?: string) =>
    api.inject({ method: 'GET', url: '/orders', headers: authorization ? { authorization } : {} });

  function assertInvalidToken(res: Awaited<ReturnType<typeof orders>>) {
    assert.equal(res.statusCode, INVALID_TOKEN.status);
    assert.equal(res.headers['www-authenticate'], INVALID_TOKEN.challenge);
    assert.deepEqual(res.json(), INVALID_TOKEN.body);
  }

  it('answers /health', async () => {
    const res = await api.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  it('serves the orders for a token with read:orders', async () => {
    const res = await orders(`Bearer ${await token({ audience: API, scope: 'openid read:orders' })}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json();
    assert.equal(body.sub, ALICE.id);
    assert.deepEqual(body.scopes, ['openid', 'read:orders']);
    assert.equal(body.orders.length, 2);
    assert.deepEqual(Object.keys(body), ['sub', 'scopes', 'orders']);
  });

  it('refuses a token issued for another API (401)', async () => {
    assertInvalidToken(await orders(`Bearer ${await token({ audience: BILLING, scope: 'read:orders' })}`));
  });

  it('refuses a tampered token (401)', async () => {
    const [header, payload, signature] = (await token({ audience: API, scope: 'read:orders' })).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    assert.equal(claims.sub, ALICE.id);
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'auth0|mallory' })).toString('base64url');
    assertInvalidToken(await orders(`Bearer ${header}.${forged}.${signature}`));
    assertInvalidToken(await orders('Bearer not-a-jwt'));
  });

  it('asks for a token when there is none (401, bare challenge)', async () => {
    for (const authorization of [undefined, 'Basic YWNtZS13ZWI6c2VjcmV0']) {
      const res = await orders(authorization);
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Missing access token: send Authorization: Bearer <token>',
      });
    }
  });

  it('refuses a token without read:orders (403 insufficient_scope)', async () => {
    const res = await orders(`Bearer ${await token({ audience: API, scope: 'write:orders' })}`);
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="read:orders"');
    assert.deepEqual(res.json(), {
      error: 'insufficient_scope',
      error_description: 'The access token lacks the scope read:orders',
    });
  });

  it('refuses an expired token (401)', async () => {
    const bearer = `Bearer ${await token({ audience: API, scope: 'read:orders' })}`;
    assert.equal((await orders(bearer)).statusCode, 200);
    t.clock.advance(7200 * 1000 + 1000); // the Orders API's token_lifetime, plus a second
    assertInvalidToken(await orders(bearer));
  });

  it('answers 503, not 401, when the keys cannot be fetched', async () => {
    const blind = await buildOrdersApi({
      issuer: ISSUER,
      audience: API,
      jwksUrl: 'http://127.0.0.1:9/jwks.json',
    });
    try {
      const bearer = `Bearer ${await token({ audience: API, scope: 'read:orders' })}`;
      const res = await blind.inject({ method: 'GET', url: '/orders', headers: { authorization: bearer } });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().error, 'temporarily_unavailable');
    } finally {
      await blind.close();
    }
  });
});
