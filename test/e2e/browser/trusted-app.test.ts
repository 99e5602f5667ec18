import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Session } from '../../../examples/trusted-app/sessions.js';
import { totpAt } from '../../../src/mfa/totp.js';
import {
  ALICE,
  BOB,
  browserMissing,
  introspect,
  launchBrowser,
  protectionLanded,
  readExample,
  refreshAt,
  type Stack,
  screenshots,
  startStack,
} from './stack.js';

const screenshot = screenshots('trusted-app');

/** A user the blocking test may lock out without spoiling the other tests. */
const DAVE = { email: 'dave@acme.test', password: 'Dave-demo-passw0rd', realm: 'employees' };
const DAVE_YAML = `
users:
  - connection: employees
    user_id: auth0|dave
    email: ${DAVE.email}
    email_verified: true
    password: ${DAVE.password}
    name: Dave Lockout
`;

type User = { email: string; password: string; realm: string };

/** Submits a form by clicking its button and waits for the page it leads to. */
async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
}

async function signIn(page: Page, stack: Stack, user: User, password = user.password): Promise<void> {
  await page.goto(`${stack.appUrl}login`);
  await page.fill('#username', user.email);
  await page.fill('#password', password);
  await page.selectOption('#realm', user.realm);
  await submit(page, '#sign-in');
}

const path = (page: Page) => new URL(page.url()).pathname + new URL(page.url()).search;
const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim();

/** The server-side session behind the browser's cookie. */
async function sessionOf(stack: Stack, ctx: BrowserContext): Promise<Session> {
  const cookie = (await ctx.cookies()).find((c) => c.name === 'acme_sid');
  assert.ok(cookie, 'no session cookie');
  const id = decodeURIComponent(cookie.value).split('.')[0];
  const s = stack.sessions.list().find((x) => x.id === id);
  assert.ok(s, 'no session for the cookie');
  return s;
}

describe('the trusted app in a browser', { skip: browserMissing() }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    stack = await startStack();
    await stack.apply(DAVE_YAML);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('alice signs in through the Customers directory: the API answer and her profile, no token in the browser', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(stack.appUrl);
    assert.equal(path(page), '/login');
    assert.deepEqual(
      await page.$$eval('#realm option', (os) =>
        os.map((o) => [o.textContent, (o as unknown as { value: string }).value]),
      ),
      [
        ['Customers', 'customers'],
        ['Employees', 'employees'],
      ],
    );
    await screenshot(page, 'login-page');

    await signIn(page, stack, ALICE);
    assert.equal(path(page), '/');
    assert.equal(await text(page, 'h1'), 'Hello, Alice Example');
    const orders = await text(page, '#orders');
    assert.match(orders, /ord_1001/);
    assert.match(orders, /Burr grinder/);
    assert.match(await text(page, '#orders-json'), /"sub": "auth0\|alice"/);
    assert.equal(await text(page, '#profile [data-claim="email"]'), ALICE.email);
    assert.equal(await text(page, '#profile [data-claim="sub"]'), 'auth0|alice');
    assert.equal(await text(page, '#scopes'), 'openid profile email offline_access read:orders');
    await screenshot(page, 'alice-home');

    // The tokens stay on the server: the browser holds one HttpOnly, SameSite=Lax cookie.
    const s = await sessionOf(stack, ctx);
    assert.ok(s.tokens?.accessToken && s.tokens.refreshToken);
    const html = await page.content();
    assert.ok(!html.includes(s.tokens.accessToken) && !html.includes(s.tokens.refreshToken));
    assert.doesNotMatch(html, /eyJ[\w-]{20,}\./);
    const cookies = await ctx.cookies();
    assert.deepEqual(
      cookies.map((c) => [c.name, c.httpOnly, c.sameSite]),
      [['acme_sid', true, 'Lax']],
    );
    await ctx.close();
  });

  it('bob signs in through Employees; alice is unknown there; the access token is refreshed when it expires', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    // Directories are separate: Alice's credentials mean nothing among the employees.
    await signIn(page, stack, { ...ALICE, realm: 'employees' });
    assert.equal(path(page), '/login');
    assert.match(await text(page, '#error'), /^Wrong email or password/);
    assert.equal(await page.inputValue('#username'), ALICE.email);
    assert.equal(await page.inputValue('#password'), '');
    await screenshot(page, 'wrong-directory');

    await signIn(page, stack, BOB);
    assert.equal(path(page), '/');
    assert.equal(await text(page, 'h1'), 'Hello, Bob Builder');
    assert.match(await text(page, '#orders'), /ord_1002/);
    assert.equal(await text(page, '#profile [data-claim="email"]'), BOB.email);
    assert.match(await text(page, '#profile'), /employees|Bob Builder/);
    await screenshot(page, 'bob-home');

    // On demand.
    const before = (await sessionOf(stack, ctx)).tokens!.accessToken;
    await submit(page, '#refresh');
    assert.equal(await text(page, '#refresh-count'), '1 time');
    assert.match(await text(page, '#notice'), /refreshed/);
    assert.notEqual((await sessionOf(stack, ctx)).tokens!.accessToken, before);

    // On expiry: a day later by the app's clock, the next page refreshes before calling the API.
    stack.clock.skewMs = 25 * 3600_000;
    try {
      await page.reload();
      assert.equal(await text(page, '#refresh-count'), '2 times');
      assert.match(await text(page, '#orders'), /ord_1001/);
    } finally {
      stack.clock.skewMs = 0;
    }
    await screenshot(page, 'bob-refreshed');
    await ctx.close();
  });

  it('signing out revokes the refresh token at Tessera and ends the session', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await signIn(page, stack, BOB);
    assert.equal(path(page), '/');
    const refreshToken = (await sessionOf(stack, ctx)).tokens!.refreshToken!;
    assert.equal((await introspect(stack, refreshToken)).active, true);

    await submit(page, '#logout');
    assert.equal(path(page), '/login');
    assert.match(
      await text(page, '#notice'),
      /^Signed out\s+Your session is closed and its refresh token revoked/,
    );
    await screenshot(page, 'signed-out');

    assert.equal((await introspect(stack, refreshToken)).active, false);
    const res = await refreshAt(stack, refreshToken);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), {
      error: 'invalid_grant',
      error_description: 'Unknown or invalid refresh token.',
    });
    await page.goto(stack.appUrl);
    assert.equal(path(page), '/login');
    await ctx.close();
  });

  it('MFA for everyone: alice enrolls OTP from the secret on the page, then signs in with a code and a recovery code', async () => {
    await stack.apply(readExample('trusted-app/mfa-everyone.yaml'));
    const ctx = await browser.newContext();
    const page = await ctx.newPage();

    await signIn(page, stack, ALICE);
    assert.equal(path(page), '/mfa');
    assert.equal(await text(page, 'h1'), 'Set up two-step verification');
    const mfaToken = (await sessionOf(stack, ctx)).mfa!.mfaToken;
    assert.ok(!(await page.content()).includes(mfaToken), 'the mfa_token must stay on the server');
    await screenshot(page, 'mfa-choose');

    await submit(page, '#enroll-otp');
    assert.equal(await text(page, 'h1'), 'Set up your authenticator app');
    const secret = await text(page, '#otp-secret');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const recovery = await text(page, '#recovery-code');
    assert.match(recovery, /^[A-Z2-7]{24}$/);
    assert.match((await page.getAttribute('#otp-qr', 'src')) ?? '', /^data:image\/png;base64,/);
    assert.ok(
      await page.$eval('#otp-qr', (img) => (img as unknown as { naturalWidth: number }).naturalWidth > 100),
    );
    await screenshot(page, 'mfa-enroll-otp');

    const wrong = totpAt(secret, Date.now()) === '000000' ? '111111' : '000000';
    await page.fill('#code', wrong);
    await submit(page, '#verify');
    assert.equal(path(page), '/mfa');
    assert.match(await text(page, '#error'), /^That code is not right/);
    assert.equal(await text(page, '#otp-secret'), secret);
    await screenshot(page, 'mfa-wrong-code');

    await page.fill('#code', totpAt(secret, Date.now()));
    await submit(page, '#verify');
    assert.equal(path(page), '/');
    assert.match(await text(page, '#notice'), /Two-step verification is on/);
    assert.match(await text(page, '#orders'), /ord_1001/);
    assert.equal(await text(page, '#profile [data-claim="email"]'), ALICE.email);
    await screenshot(page, 'mfa-enrolled-home');

    // Next sign-in: a code prompt. Each code works once: use the next step's (within the ±1 step window).
    await submit(page, '#logout');
    await signIn(page, stack, ALICE);
    assert.equal(path(page), '/mfa');
    assert.equal(await text(page, 'h1'), 'Two-step verification');
    assert.equal(await page.$('#otp-secret'), null);
    await screenshot(page, 'mfa-challenge');
    await page.fill('#code', totpAt(secret, Date.now() + 30_000));
    await submit(page, '#verify');
    assert.equal(path(page), '/');
    assert.match(await text(page, '#orders'), /ord_1001/);

    // A lost device: the recovery code signs in once and a new one is shown.
    await submit(page, '#logout');
    await signIn(page, stack, ALICE);
    await submit(page, '#use-recovery');
    assert.equal(path(page), '/mfa?use=recovery');
    await page.fill('#code', recovery);
    await submit(page, '#verify');
    assert.equal(path(page), '/');
    const next = await text(page, '#new-recovery-code');
    assert.match(next, /^[A-Z2-7]{24}$/);
    assert.notEqual(next, recovery);
    await screenshot(page, 'mfa-recovery-code-used');
    await ctx.close();
  });

  it('blocks an account after repeated wrong passwords and says so', async (t) => {
    if (!protectionLanded()) {
      t.skip('attack protection not landed');
      return;
    }
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const seen: string[] = [];
    for (let i = 1; i <= 12; i++) {
      await signIn(page, stack, DAVE, `Not-the-passw0rd-${i}`);
      const title = await text(page, '#error strong');
      seen.push(title === 'Sign-in blocked' ? 'blocked' : title);
      if (i === 1) await screenshot(page, 'wrong-password');
      if (seen.at(-1) === 'blocked') break;
    }
    // Auth0's default: 10 failures from one IP for one user, then the block.
    assert.deepEqual(seen, [...Array(10).fill('Wrong email or password'), 'blocked']);
    // Now even the right password is refused, with Tessera's own description.
    await signIn(page, stack, DAVE);
    assert.equal(path(page), '/login');
    const error = await text(page, '#error');
    assert.match(error, /^Sign-in blocked/);
    assert.match(error, /Your account has been blocked after multiple consecutive login attempts/);
    await screenshot(page, 'blocked');
    await ctx.close();
  });
});
