import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildTrustedApp, type TrustedAppOptions } from '../../../examples/trusted-app/server.js';
import { SessionStore } from '../../../examples/trusted-app/sessions.js';
import { DEMO_CLIENT } from '../../../src/cli/demo.js';
import { listEvents } from '../../../src/store/repos/events.js';
import { readOutbox } from '../../../src/notify/outbox.js';
import { BOB, readExample, type Stack, startStack } from './stack.js';

/**
 * The trusted app without a browser (Fastify inject, a cookie jar of one):
 * what a browser cannot easily show — the IP it forwards, CSRF refusals,
 * every error body of Tessera turned into a message, refresh on a 401.
 */
class Client {
  cookie?: string;
  constructor(
    readonly app: FastifyInstance,
    readonly remoteAddress = '127.0.0.1',
  ) {}

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>) {
    const res = await this.app.inject({
      method,
      url,
      remoteAddress: this.remoteAddress,
      headers: {
        ...(this.cookie ? { cookie: `acme_sid=${this.cookie}` } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      payload: form ? new URLSearchParams(form).toString() : undefined,
    });
    const set = res.cookies.find((c) => c.name === 'acme_sid');
    if (set) this.cookie = set.value;
    return res;
  }

  /** The CSRF token of the page at `url`. */
  async csrf(url = '/login'): Promise<string> {
    const res = await this.request('GET', url);
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    assert.ok(m, `no CSRF field on ${url}`);
    return m[1]!;
  }

  async signIn(user: { email: string; password: string; realm: string }) {
    const _csrf = await this.csrf();
    return this.request('POST', '/login', {
      _csrf,
      username: user.email,
      password: user.password,
      realm: user.realm,
    });
  }
}

const base = (app: FastifyInstance) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

/** The title and text of the page's error message. */
function errorOf(body: string): { title: string; text: string } {
  const m =
    /<div class="message error" id="error"[^>]*>\s*(?:<strong>([^<]*)<\/strong>)?\s*<span>([^<]*)<\/span>/.exec(
      body,
    );
  assert.ok(m, `no error message in the page:\n${body}`);
  return { title: m[1] ?? '', text: m[2]! };
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

describe('the trusted app over HTTP', () => {
  let stack: Stack;
  const extra: FastifyInstance[] = [];

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    for (const a of extra) await a.close();
    await stack?.close();
  });

  async function trustedApp(opts: Partial<TrustedAppOptions>): Promise<FastifyInstance> {
    const app = await buildTrustedApp({
      tesseraUrl: stack.tesseraUrl,
      ordersApiUrl: stack.apps.ordersApiUrl!,
      ...DEMO_CLIENT,
      cookieSecret: 'cookie-secret-for-the-tests-0123456789',
      ...opts,
    });
    extra.push(app);
    return app;
  }

  it("forwards the browser's IP to Tessera in auth0-forwarded-for", async () => {
    const c = new Client(stack.apps.trustedApp!, '203.0.113.7');
    const res = await c.signIn(BOB);
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/');
    const [event] = await listEvents(stack.tessera.rt.store.db, { limit: 1 });
    assert.equal(event!.type, 'sepft');
    assert.equal(event!.user_id, 'auth0|bob');
    assert.equal(event!.ip, '203.0.113.7');
  });

  it('refuses a form without its session CSRF token; pages carry security headers and never a stack trace', async () => {
    const c = new Client(stack.apps.trustedApp!);
    await c.csrf();
    const form = { username: BOB.email, password: BOB.password, realm: BOB.realm };
    const missing = await c.request('POST', '/login', form);
    assert.equal(missing.statusCode, 403);
    assert.match(missing.body, /This form has expired/);

    const other = new Client(stack.apps.trustedApp!);
    const foreign = await other.csrf();
    const wrong = await c.request('POST', '/login', { ...form, _csrf: foreign });
    assert.equal(wrong.statusCode, 403);

    const noSession = await new Client(stack.apps.trustedApp!).request('POST', '/logout', { _csrf: foreign });
    assert.equal(noSession.statusCode, 403);

    const page = await c.request('GET', '/login');
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; style-src 'self';/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['cache-control'], 'no-store');
    const cookie = String(
      (await new Client(stack.apps.trustedApp!).request('GET', '/login')).headers['set-cookie'],
    );
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);

    const json = await stack.apps.trustedApp!.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"username": ',
    });
    assert.ok(json.statusCode >= 400 && json.statusCode < 500, String(json.statusCode));
    assert.match(json.body, /<!doctype html>/);
    assert.doesNotMatch(json.body, /Error|\bat \S+:\d+/);
    const notFound = await c.request('GET', '/nope');
    assert.equal(notFound.statusCode, 404);
    assert.match(notFound.body, /Page not found/);
  });

  it('a realm Tessera does not know for the client: "Unknown directory"', async () => {
    const app = await trustedApp({
      realms: [
        { label: 'Employees', realm: 'employees' },
        { label: 'Partners', realm: 'partners' },
      ],
    });
    const res = await new Client(app).signIn({ ...BOB, realm: 'partners' });
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res.body).title, 'Unknown directory');
    assert.match(errorOf(res.body).text, /not open to this application/);
    // And one the form never offered is refused before Tessera is asked.
    const forged = await new Client(app).signIn({ ...BOB, realm: 'Username-Password-Authentication' });
    assert.equal(forged.statusCode, 400);
    assert.deepEqual(errorOf(forged.body), {
      title: 'Unknown directory',
      text: 'Pick a directory from the list.',
    });
  });

  describe("every error of Tessera's token endpoint is a clear message", () => {
    let fake: FastifyInstance;
    let answer: { status: number; body: unknown; type?: string } = { status: 500, body: {} };
    let seen: { headers: Record<string, unknown>; body: Record<string, string> } | undefined;
    let app: FastifyInstance;

    before(async () => {
      fake = Fastify();
      fake.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
      );
      fake.post('/oauth/token', async (request, reply) => {
        seen = { headers: request.headers, body: request.body as Record<string, string> };
        reply.code(answer.status).type(answer.type ?? 'application/json');
        return typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      });
      await fake.listen({ port: 0, host: '127.0.0.1' });
      extra.push(fake);
      app = await trustedApp({ tesseraUrl: base(fake) });
    });

    const brute =
      "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it.";
    const suspicious =
      'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.';
    const leaked =
      'This login has been blocked because your password has been leaked in another website. We’ve sent you an email with instructions on how to unblock it.';
    const cases: [string, number, unknown, string, string | RegExp][] = [
      [
        'wrong password',
        403,
        { error: 'invalid_grant', error_description: 'Wrong email or password.' },
        'Wrong email or password',
        /Check your email, password and directory/,
      ],
      [
        'brute-force block',
        429,
        { error: 'too_many_attempts', error_description: brute },
        'Sign-in blocked',
        brute,
      ],
      [
        'suspicious IP throttling',
        429,
        { error: 'too_many_attempts', error_description: suspicious },
        'Sign-in blocked',
        suspicious,
      ],
      [
        'breached password',
        401,
        { error: 'password_leaked', error_description: leaked },
        'Password found in a data breach',
        leaked,
      ],
      [
        'blocked by an administrator',
        401,
        { error: 'unauthorized', error_description: 'user is blocked' },
        'Account blocked',
        /blocked by an administrator/,
      ],
      [
        'denied by a rule',
        401,
        { error: 'unauthorized', error_description: 'Contractors may not sign in at weekends' },
        'Access denied',
        'Contractors may not sign in at weekends',
      ],
      [
        'denied by an action',
        403,
        { error: 'access_denied', error_description: 'Your subscription has ended' },
        'Access denied',
        'Your subscription has ended',
      ],
      [
        'unknown realm',
        400,
        { error: 'invalid_request', error_description: 'Unknown realm or realm not enabled for this client' },
        'Unknown directory',
        /not open to this application/,
      ],
      [
        'the app itself refused',
        401,
        { error: 'access_denied', error_description: 'Unauthorized' },
        'This application cannot sign you in',
        /refused the application itself/,
      ],
      [
        'a rule failed',
        500,
        {
          error: 'server_error',
          error_description: 'The login could not be completed because a rule or action failed.',
        },
        'Sign-in is not available right now',
        /try again in a moment/,
      ],
      [
        'not JSON',
        502,
        '<html>Bad gateway</html>',
        'Sign-in is not available right now',
        /try again in a moment/,
      ],
    ];

    for (const [name, status, body, title, text] of cases) {
      it(name, async () => {
        answer = { status, body, type: typeof body === 'string' ? 'text/html' : undefined };
        const res = await new Client(app, '198.51.100.23').signIn(BOB);
        assert.equal(res.statusCode, status >= 500 ? 503 : status);
        const shown = errorOf(res.body);
        assert.equal(shown.title, title);
        if (typeof text === 'string') assert.equal(unescapeHtml(shown.text), text);
        else assert.match(unescapeHtml(shown.text), text);
        assert.doesNotMatch(res.body, /TesseraError|\bat \S+:\d+/);
        // What the app sent: the realm grant, the API, the scopes, the user's IP.
        assert.equal(seen!.headers['auth0-forwarded-for'], '198.51.100.23');
        assert.equal(seen!.body.grant_type, 'http://auth0.com/oauth/grant-type/password-realm');
        assert.equal(seen!.body.realm, 'employees');
        assert.equal(seen!.body.audience, DEMO_CLIENT.audience);
        assert.equal(seen!.body.scope, 'openid profile email offline_access read:orders');
        assert.equal(seen!.body.client_id, DEMO_CLIENT.clientId);
      });
    }

    it('an ID token that does not check out (the SDK validates it) is no sign-in', async () => {
      answer = {
        status: 200,
        body: { access_token: 'at', id_token: 'not.a.jwt', token_type: 'Bearer', expires_in: 3600 },
      };
      const res = await new Client(app).signIn(BOB);
      assert.equal(res.statusCode, 503);
      assert.equal(errorOf(res.body).title, 'Sign-in is not available right now');
    });

    it('Tessera unreachable', async () => {
      const down = await trustedApp({ tesseraUrl: 'http://127.0.0.1:9' });
      const res = await new Client(down).signIn(BOB);
      assert.equal(res.statusCode, 503);
      assert.equal(errorOf(res.body).title, 'Sign-in is not available right now');
    });
  });

  it('the API answers 401: refreshes once and retries; a dead refresh token ends the session', async () => {
    let calls: string[] = [];
    const api = Fastify();
    api.get('/orders', async (request, reply) => {
      calls.push(String(request.headers.authorization));
      if (calls.length === 1)
        return reply.code(401).send({ error: 'invalid_token', error_description: 'expired' });
      return { sub: 'auth0|bob', scopes: ['read:orders'], orders: [{ id: 'ord_9', item: 'Tamper' }] };
    });
    await api.listen({ port: 0, host: '127.0.0.1' });
    extra.push(api);
    const clock = { skew: 0 };
    const sessions = new SessionStore();
    const app = await trustedApp({ ordersApiUrl: base(api), sessions, now: () => Date.now() + clock.skew });

    const c = new Client(app);
    assert.equal((await c.signIn(BOB)).statusCode, 303);
    const home = await c.request('GET', '/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /ord_9/);
    assert.equal(calls.length, 2);
    assert.notEqual(calls[0], calls[1]);
    const s = sessions.list().find((x) => x.tokens)!;
    assert.equal(s.tokens!.refreshCount, 1);

    // Revoked behind the app's back: the next refresh fails and the user is asked to sign in again.
    await fetch(`${stack.tesseraUrl}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: DEMO_CLIENT.clientId,
        client_secret: DEMO_CLIENT.clientSecret,
        token: s.tokens!.refreshToken,
      }),
    });
    clock.skew = 25 * 3600_000;
    calls = [];
    const expired = await c.request('GET', '/');
    assert.equal(expired.statusCode, 303);
    assert.equal(expired.headers.location, '/login');
    assert.equal(calls.length, 0);
    const login = await c.request('GET', '/login');
    assert.equal(errorOf(login.body).title, 'Your session has ended');
  });
  it('two pages of one session at once with an expired token: one refresh, the family stays alive', async () => {
    const clock = { skew: 0 };
    const sessions = new SessionStore();
    const app = await trustedApp({ sessions, now: () => Date.now() + clock.skew });
    const c = new Client(app);
    assert.equal((await c.signIn(BOB)).statusCode, 303);
    const db = stack.tessera.rt.store.db;
    const exchanges = async () => (await listEvents(db, { type: 'sertft', limit: 10_000 })).length;
    const before = await exchanges();
    clock.skew = 25 * 3600_000;
    const pages = await Promise.all([c.request('GET', '/'), c.request('GET', '/')]);
    assert.equal(await exchanges(), before + 1, 'one exchange of the refresh token for both pages');
    assert.deepEqual(
      pages.map((p) => p.statusCode),
      [200, 200],
    );
    for (const p of pages) assert.match(p.body, /id="refresh-count">1 time</);
    // Had the old refresh token been exchanged twice, Tessera would have revoked the family.
    const again = await c.request('GET', '/');
    assert.equal(again.statusCode, 200);
    assert.match(again.body, /ord_1001/);
    const refreshToken = sessions.list().find((x) => x.tokens)!.tokens!.refreshToken!;
    const res = await fetch(`${stack.tesseraUrl}/oauth/introspect`, {
      method: 'POST',
      body: new URLSearchParams({
        token: refreshToken,
        client_id: DEMO_CLIENT.clientId,
        client_secret: DEMO_CLIENT.clientSecret,
      }),
    });
    assert.equal(((await res.json()) as { active: boolean }).active, true);
  });

  // Last: it turns MFA on for everybody in this stack.
  it('MFA by email: enrolment with the code from the outbox, then a code sent on demand', async () => {
    await stack.apply(readExample('trusted-app/mfa-everyone.yaml'));
    const latestCode = async () => {
      const [mail] = await readOutbox(stack.tessera.rt.store, stack.tessera.rt.config.secret, {
        recipient: BOB.email,
        limit: 1,
      });
      const m = /verification code is (\d{6})/.exec(mail?.body ?? '');
      assert.ok(m, `no code in the outbox: ${mail?.body}`);
      return m[1]!;
    };
    const c = new Client(stack.apps.trustedApp!);
    let res = await c.signIn(BOB);
    assert.equal(res.headers.location, '/mfa');
    let csrf = await c.csrf('/mfa');
    res = await c.request('POST', '/mfa/enroll', { _csrf: csrf, factor: 'email', email: BOB.email });
    assert.equal(res.headers.location, '/mfa');
    let page = await c.request('GET', '/mfa');
    assert.match(page.body, /Check your email/);
    assert.match(page.body, /id="recovery-code">[A-Z2-7]{24}</);
    res = await c.request('POST', '/mfa/verify', { _csrf: csrf, method: 'oob', code: await latestCode() });
    assert.equal(res.headers.location, '/');
    assert.match((await c.request('GET', '/')).body, /Two-step verification is on/);

    csrf = await c.csrf('/');
    res = await c.request('POST', '/logout', { _csrf: csrf });
    assert.equal(res.headers.location, '/login');
    res = await c.signIn(BOB);
    assert.equal(res.headers.location, '/mfa');
    page = await c.request('GET', '/mfa');
    assert.match(page.body, /id="send-email"/);
    csrf = await c.csrf('/mfa');
    res = await c.request('POST', '/mfa/verify', { _csrf: csrf, method: 'oob', code: '123456' });
    assert.match(errorOf((await c.request('GET', '/mfa')).body).text, /Send yourself a code first/);
    res = await c.request('POST', '/mfa/send', { _csrf: csrf, channel: 'email' });
    assert.equal(res.headers.location, '/mfa');
    page = await c.request('GET', '/mfa');
    assert.match(page.body, /We sent a 6-digit code by email to <strong>[^<]+<\/strong>/);
    res = await c.request('POST', '/mfa/verify', { _csrf: csrf, method: 'oob', code: await latestCode() });
    assert.equal(res.headers.location, '/');
    assert.match((await c.request('GET', '/')).body, /ord_1001/);
  });

  it('sign-up and "Forgot password?" go through the SDK and need the CSRF token', async () => {
    const c = new Client(stack.apps.trustedApp!, '203.0.113.9');
    await c.csrf('/signup');
    const form = { email: 'http-signup@acme.test', password: 'Http-signup-passw0rd' };
    assert.equal((await c.request('POST', '/signup', form)).statusCode, 403);
    assert.equal((await c.request('POST', '/forgot', { email: form.email })).statusCode, 403);

    let res = await c.request('POST', '/signup', { _csrf: await c.csrf('/signup'), ...form });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/login');
    const [signedUp] = await listEvents(stack.tessera.rt.store.db, { limit: 1 });
    assert.equal(signedUp!.type, 'ss');
    assert.equal(signedUp!.user_name, form.email);
    // /dbconnections is public: Tessera believes auth0-forwarded-for on the token endpoint only.
    assert.equal(signedUp!.ip, '127.0.0.1');
    const login = await c.request('GET', '/login');
    assert.match(login.body, /Account created/);
    assert.match(login.body, /id="username"[^>]*value="http-signup@acme.test"/);

    res = await c.request('POST', '/forgot', { _csrf: await c.csrf('/forgot'), email: form.email });
    assert.equal(res.headers.location, '/login');
    assert.match((await c.request('GET', '/login')).body, /Check your email/);
  });

  it('sign-up: a bad address, a weak password (the policy), a taken address, sign-up turned off', async () => {
    const c = new Client(stack.apps.trustedApp!);
    const signUp = async (email: string, password: string) =>
      c.request('POST', '/signup', { _csrf: await c.csrf('/signup'), email, password });

    let res = await signUp('not-an-address', 'Good-enough-passw0rd');
    assert.equal(res.statusCode, 400);
    assert.match(errorOf(res.body).text, /Enter your email address/);

    res = await signUp('weak-http@acme.test', 'aaaa');
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res.body).title, 'Password is too weak');
    assert.match(res.body, /<pre class="policy" id="password-policy">\* At least 8 characters in length/);

    res = await signUp('alice@acme.test', 'Another-passw0rd-1');
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res.body).title, 'The account could not be created');

    await stack.apply(`
connections:
  - name: Username-Password-Authentication
    strategy: auth0
    realms: [customers]
    enabled_clients: [acme-web]
    options: { brute_force_protection: true, password_policy: good, disable_signup: true }
`);
    res = await signUp('closed@acme.test', 'Closed-signup-passw0rd');
    assert.equal(res.statusCode, 403);
    assert.equal(errorOf(res.body).title, 'Sign-up is closed');
  });
});
