import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertEvent, listEvents } from '../../src/store/repos/events.js';
import { SECRET, startTestApp, type TestApp, ALICE_LOGIN } from '../helpers/app.js';
import { storeKinds } from '../helpers/stores.js';

const BAD_TEXT = 'must be UTF-8 text without NUL characters';
const alice = ALICE_LOGIN;

/** A form body from already-encoded pairs: the test controls every byte. */
function form(t: TestApp, body: string | Buffer, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: body,
  });
}

const encoded = (o: Record<string, string>) => new URLSearchParams(o).toString();

for (const kind of storeKinds) {
  describe(`NUL bytes and invalid UTF-8 (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    const latest = async () => (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;

    for (const name of ['client_id', 'username', 'realm', 'audience', 'password', 'scope']) {
      for (const [label, bad] of [
        ['NUL', 'a%00b'],
        ['invalid UTF-8', '%C3%28'],
        ['a lone 0xFF', 'x%FF'],
      ]) {
        it(`answers 400 naming ${name} for ${label}`, async () => {
          const res = await form(
            t,
            `${encoded({ ...alice, [name]: 'placeholder' })}`.replace('placeholder', bad),
          );
          assert.equal(res.statusCode, 400);
          assert.deepEqual(res.json(), {
            error: 'invalid_request',
            error_description: `Invalid parameter ${name}: ${BAD_TEXT}`,
          });
          assert.equal(res.headers['x-content-type-options'], 'nosniff');
        });
      }
    }

    it('records the refused attempt, with the bad value made safe', async () => {
      const res = await form(
        t,
        `${encoded({ ...alice, username: 'PLACE' })}`.replace('PLACE', 'mallory%00%FF%40acme.test'),
        { 'user-agent': 'fuzzer/1.0' },
      );
      assert.equal(res.statusCode, 400);
      const e = await latest();
      assert.equal(e.type, 'fepft');
      assert.equal(e.client_id, 'acme-web');
      assert.equal(e.user_name, 'mallory\uFFFD\uFFFD@acme.test');
      assert.equal(e.ip, '127.0.0.1');
      assert.equal(e.user_agent, 'fuzzer/1.0');
      assert.equal(e.description, `Invalid parameter username: ${BAD_TEXT}`);
      assert.deepEqual(e.details, { grant_type: 'password', reason: 'invalid_input', parameter: 'username' });
    });

    it('records a refused refresh as fertft, and a bad client_id made safe', async () => {
      const res = await form(
        t,
        `grant_type=refresh_token&client_id=acme%00web&client_secret=${SECRET}&refresh_token=x%00y`,
      );
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error_description, `Invalid parameter client_id: ${BAD_TEXT}`);
      const e = await latest();
      assert.equal(e.type, 'fertft');
      assert.equal(e.client_id, 'acme\uFFFDweb');
    });

    it('refuses raw invalid bytes in a form body', async () => {
      const body = Buffer.concat([
        Buffer.from(`${encoded(alice)}&connection=`),
        Buffer.from([0xff, 0xfe, 0xc3]),
      ]);
      const res = await form(t, body);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        error: 'invalid_request',
        error_description: `Invalid parameter connection: ${BAD_TEXT}`,
      });
    });

    it('refuses NUL, lone surrogates and raw invalid bytes in JSON', async () => {
      for (const [payload, name] of [
        [JSON.stringify({ ...alice, username: 'a\u0000b' }), 'username'],
        [`{"grant_type":"password","client_id":"acme-web","audience":"\\ud800"}`, 'audience'],
        [JSON.stringify({ ...alice, scope: ['openid', 'x\u0000'] }), 'scope'],
        [
          Buffer.concat([
            Buffer.from('{"grant_type":"password","client_id":"acme-web","realm":"'),
            Buffer.from([0xc3, 0x28]),
            Buffer.from('"}'),
          ]),
          'realm',
        ],
      ] as const) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: { 'content-type': 'application/json' },
          payload,
        });
        assert.equal(res.statusCode, 400, String(payload));
        assert.deepEqual(res.json(), {
          error: 'invalid_request',
          error_description: `Invalid parameter ${name}: ${BAD_TEXT}`,
        });
      }
    });

    it('refuses headers with NUL or invalid UTF-8, naming them', async () => {
      for (const [header, value] of [
        ['user-agent', 'agent\u0000'],
        ['user-agent', Buffer.from([0x61, 0xc3, 0x28]).toString('latin1')],
        ['auth0-forwarded-for', '1.2.3.4\u0000'],
      ]) {
        const res = await form(t, encoded(alice), { [header]: value });
        assert.equal(res.statusCode, 400, `${header}: ${JSON.stringify(value)}`);
        assert.deepEqual(res.json(), {
          error: 'invalid_request',
          error_description: `Invalid header ${header}: ${BAD_TEXT}`,
        });
      }
      const e = await latest();
      assert.equal(e.type, 'fepft');
      assert.equal(e.details?.parameter, undefined);
      assert.equal(e.details?.header, 'auth0-forwarded-for');
    });

    it('accepts UTF-8 text that is valid, in headers and parameters', async () => {
      const res = await form(t, encoded({ ...alice, username: 'zoë@acme.test' }), {
        'user-agent': Buffer.from('agënt/1.0').toString('latin1'),
      });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error, 'invalid_grant');
    });

    it('refuses NUL in HTTP Basic credentials, a Bearer token, a query and a path parameter', async () => {
      const basic = Buffer.from(`acme-basic\u0000:${SECRET}`).toString('base64');
      const b = await form(t, encoded({ grant_type: 'password', username: 'a', password: 'b' }), {
        authorization: `Basic ${basic}`,
      });
      assert.equal(b.statusCode, 400);
      assert.deepEqual(b.json(), {
        error: 'invalid_request',
        error_description: `Invalid header authorization: ${BAD_TEXT}`,
      });
      const del = await t.app.inject({
        method: 'DELETE',
        url: '/mfa/authenticators/totp%00x',
        headers: { authorization: 'Bearer abc' },
      });
      assert.equal(del.statusCode, 400);
      assert.deepEqual(del.json(), {
        error: 'invalid_request',
        error_description: `Invalid parameter id: ${BAD_TEXT}`,
      });
      const q = await t.app.inject({ method: 'GET', url: '/unblock?ticket=%FF' });
      assert.equal(q.statusCode, 400);
      assert.deepEqual(q.json(), {
        error: 'invalid_request',
        error_description: `Invalid parameter ticket: ${BAD_TEXT}`,
      });
      const revoke = await t.app.inject({
        method: 'POST',
        url: '/oauth/revoke',
        payload: { client_id: 'acme-web', client_secret: SECRET, token: 'a\u0000' },
      });
      assert.equal(revoke.statusCode, 400);
      assert.equal(revoke.json().error_description, `Invalid parameter token: ${BAD_TEXT}`);
    });

    it('the audit writer stores any text, made safe, and fitted to its columns', async () => {
      await insertEvent(t.rt.store.db, {
        id: 'evt_unsafe',
        date: t.clock.t,
        type: 'fepft',
        description: 'bad\u0000text',
        client_id: `c\u0000${'x'.repeat(300)}`,
        user_name: `\ud800${'u'.repeat(600)}`,
        ip: '1.2.3.4\u0000',
        user_agent: 'ua\udfff',
        details: { nested: ['a\u0000', { b: '\ud800' }], 'k\u0000': 1 },
      });
      const e = (await listEvents(t.rt.store.db, { limit: 1 }))[0]!;
      assert.equal(e.description, 'bad\uFFFDtext');
      assert.equal(e.client_id, `c\uFFFD${'x'.repeat(253)}`);
      assert.equal(e.user_name?.length, 512);
      assert.equal(e.user_name?.[0], '\uFFFD');
      assert.equal(e.ip, '1.2.3.4\uFFFD');
      assert.equal(e.user_agent, 'ua\uFFFD');
      assert.deepEqual(e.details, { nested: ['a\uFFFD', { b: '\uFFFD' }], 'k\uFFFD': 1 });
    });
  });
}
