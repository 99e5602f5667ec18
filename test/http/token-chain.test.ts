import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TOKEN_CHAIN } from '../../src/http/token.js';
import { GRANTS, grantRegistry } from '../../src/oauth/grants/index.js';
import { Params, Repeated } from '../../src/oauth/params.js';
import { GRANT_TYPES } from '../../src/schemas/grant-types.js';
import { SECRET, startTestApp, type TestApp, tokenRequest, ALICE_LOGIN } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const alice = ALICE_LOGIN;

describe('token endpoint: the middleware chain', () => {
  it('runs its named middlewares in the order of oidc-provider’s token action', () => {
    assert.deepEqual(
      TOKEN_CHAIN.map((m) => m.name),
      [
        'noCache',
        'parseParams',
        'supportedGrantTypeCheck',
        'admissionPrecheck',
        'authenticateClient',
        'allowedGrantTypeCheck',
        'stripGrantIrrelevantParams',
        'callTokenHandler',
      ],
    );
  });

  it('has every grant declare its parameters, and the registry serve exactly GRANT_TYPES', () => {
    assert.deepEqual(
      [...GRANTS.keys()],
      [...GRANTS.values()].map((g) => g.grantType),
    );
    for (const grant of GRANTS.values()) assert.ok(grant.parameters.size > 0, grant.grantType);
    assert.deepEqual(
      [...GRANTS.values()].filter((g) => g.hashesPassword).map((g) => g.grantType),
      ['password', 'http://auth0.com/oauth/grant-type/password-realm'],
    );
    assert.equal(GRANTS.size, GRANT_TYPES.length);
    const some = [...GRANTS.values()].slice(1);
    assert.throws(() => grantRegistry(some), /missing: password/);
    assert.throws(() => grantRegistry([...GRANTS.values(), GRANTS.get('password')!]), /once/);
  });

  it('picks parameters without reading them: a repeated one left out is no error', () => {
    const params = new Params({ a: 'x', b: new Repeated(['1', '2']), c: 42 });
    const picked = params.pick(new Set(['a', 'missing']));
    assert.equal(picked.optional('a'), 'x');
    assert.equal(picked.optional('b'), undefined);
    assert.equal(picked.optional('c'), undefined);
    assert.equal(picked.optional('missing'), undefined);
    assert.throws(() => params.pick(new Set(['b'])).optional('b'), /must not be sent more than once/);
  });
});

for (const kind of storeKinds.slice(0, 1)) {
  describe(`token endpoint: chain order and stripped parameters (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    it('refuses an unknown grant_type before authenticating the client (501, not 401)', async () => {
      for (const form of [
        { ...alice, grant_type: 'pasword', client_secret: 'wrong-secret' },
        { ...alice, grant_type: 'pasword', client_id: 'nobody' },
        { grant_type: 'pasword' },
      ]) {
        const res = await tokenRequest(t.app, form);
        assert.equal(res.statusCode, 501);
        assert.deepEqual(res.json(), {
          error: 'unsupported_grant_type',
          error_description: 'Unsupported grant type: pasword',
        });
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.equal(res.headers.pragma, 'no-cache');
      }
    });

    it('asks for grant_type before anything about the client', async () => {
      const res = await tokenRequest(t.app, { client_id: 'nobody' });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Missing required parameter: grant_type',
      });
    });

    it('authenticates the client before checking it may use the grant (401, not 403)', async () => {
      const res = await tokenRequest(t.app, { ...alice, client_id: 'acme-nopw', client_secret: 'wrong' });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: 'access_denied', error_description: 'Unauthorized' });
      const allowed = await tokenRequest(t.app, { ...alice, client_id: 'acme-nopw' });
      assert.equal(allowed.statusCode, 403);
      assert.deepEqual(allowed.json(), {
        error: 'unauthorized_client',
        error_description: "Grant type 'password' not allowed for the client.",
      });
    });

    it('checks the client may use the grant before the grant reads its parameters', async () => {
      const res = await tokenRequest(t.app, {
        grant_type: 'password',
        client_id: 'acme-nopw',
        client_secret: SECRET,
      });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error, 'unauthorized_client');
    });

    it('ignores parameters the grant does not declare, even repeated or malformed ones', async () => {
      const form = new URLSearchParams(alice);
      for (const [k, v] of [
        ['otp', '1'],
        ['otp', '2'],
        ['refresh_token', 'x'],
        ['mfa_token', ''],
        ['unknown', 'a'],
        ['unknown', 'b'],
      ])
        form.append(k, v!);
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form.toString(),
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(typeof res.json().access_token, 'string');
      const json = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: { ...alice, binding_code: 42, recovery_code: ['a', 'b'] },
      });
      assert.equal(json.statusCode, 200, json.body);
    });

    it('still refuses a declared parameter sent twice', async () => {
      const form = new URLSearchParams(alice);
      form.append('scope', 'openid');
      form.append('scope', 'email');
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: form.toString(),
      });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: 'Parameter scope must not be sent more than once',
      });
    });
  });
}
