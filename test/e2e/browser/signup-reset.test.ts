import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';
import {
  ALICE,
  browserMissing,
  emailedLink,
  launchBrowser,
  type Stack,
  screenshots,
  startStack,
} from './stack.js';

/**
 * "Create account" and "Forgot password?" of the trusted app, in Chromium:
 * the app calls Tessera's /dbconnections endpoints through the `auth0` SDK
 * (`database.signUp`, `database.changePassword`), Tessera emails the links
 * (read here from its outbox), and the browser opens them on Tessera's own
 * pages, as a user would from the email.
 */
const screenshot = screenshots('signup-reset');

const ERIN = { email: 'erin@acme.test', password: 'Erin-new-passw0rd', realm: 'customers' };

async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
}

const path = (page: Page) => new URL(page.url()).pathname;
const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim();

async function signIn(page: Page, stack: Stack, user: { email: string; realm: string }, password: string) {
  await page.goto(`${stack.appUrl}login`);
  await page.fill('#username', user.email);
  await page.fill('#password', password);
  await page.selectOption('#realm', user.realm);
  await submit(page, '#sign-in');
}

/** Makes the newest reset ticket of `userId` already expired (as if 5 days had passed). */
async function expireTickets(stack: Stack, userId: string): Promise<void> {
  await stack.tessera.rt.store.db
    .withTables<{ identity_tickets: { user_id: string; expires_at: number; used_at: number | null } }>()
    .updateTable('identity_tickets')
    .set({ expires_at: Date.now() - 1000 })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .execute();
}

describe('sign-up, verification and password reset in a browser', { skip: browserMissing() }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    stack = await startStack({ emailLinks: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('a weak password at sign-up shows the connection policy (PasswordStrengthError)', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${stack.appUrl}login`);
    await screenshot(page, 'login-with-links');
    await submit(page, '#create-account');
    assert.equal(path(page), '/signup');
    await page.fill('#email', 'weak@acme.test');
    await page.fill('#password', 'abc');
    await submit(page, '#create-account');
    assert.equal(path(page), '/signup');
    assert.match(await text(page, '#error'), /Password is too weak/);
    const policy = await text(page, '#password-policy');
    // Auth0's "good" policy, as Tessera's PasswordStrengthError states it.
    assert.match(policy, /At least 8 characters/);
    assert.match(policy, /lower case letters/);
    assert.equal(await page.inputValue('#email'), 'weak@acme.test');
    await screenshot(page, 'signup-weak-password-policy');
    await ctx.close();
  });

  it('sign up → verification email → verified; the link cannot be used twice', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${stack.appUrl}signup`);
    await page.fill('#email', ERIN.email);
    await page.fill('#name', 'Erin Newcomer');
    await page.fill('#password', ERIN.password);
    await screenshot(page, 'signup-form');
    const sent = Date.now();
    await submit(page, '#create-account');
    assert.equal(path(page), '/login');
    assert.match(await text(page, '#notice'), /Account created/);
    assert.equal(await page.inputValue('#username'), ERIN.email);
    await screenshot(page, 'signup-done');

    // Not verified yet: the ID token (the profile) says so.
    await signIn(page, stack, ERIN, ERIN.password);
    assert.equal(path(page), '/');
    assert.equal(await text(page, '[data-claim="email_verified"]'), 'false');
    await submit(page, '#logout');

    const mail = await emailedLink(stack, ERIN.email, 'verify_email', { after: sent - 1000 });
    assert.ok(mail.link.startsWith(stack.tesseraUrl), mail.link);
    await page.goto(mail.link);
    assert.match(await text(page, 'body'), /Your email address has been verified/);
    await screenshot(page, 'verify-email-done');

    await signIn(page, stack, ERIN, ERIN.password);
    assert.equal(path(page), '/');
    assert.equal(await text(page, '[data-claim="email_verified"]'), 'true');
    await screenshot(page, 'signed-in-verified');
    await submit(page, '#logout');

    // The same link again: a clear page, not an error dump.
    const again = await page.goto(mail.link);
    assert.equal(again?.status(), 400);
    assert.match(await text(page, 'body'), /already been used/);
    await screenshot(page, 'verify-email-reused');

    // Signing up again with the same address says nothing about the account.
    await page.goto(`${stack.appUrl}signup`);
    await page.fill('#email', ERIN.email);
    await page.fill('#password', 'Another-passw0rd');
    await submit(page, '#create-account');
    assert.match(await text(page, '#error'), /could not be created/);
    await ctx.close();
  });

  it('forgot password → email → reset page → old password refused, new one works; the link dies', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const newPassword = 'Alice-fresh-passw0rd';
    await page.goto(`${stack.appUrl}login`);
    await submit(page, '#forgot-password');
    assert.equal(path(page), '/forgot');
    await page.fill('#email', ALICE.email);
    await screenshot(page, 'forgot-form');
    const sent = Date.now();
    await submit(page, '#send-reset');
    assert.equal(path(page), '/login');
    assert.match(await text(page, '#notice'), /Check your email/);
    await screenshot(page, 'forgot-sent');

    const mail = await emailedLink(stack, ALICE.email, 'reset', { after: sent - 1000 });
    await page.goto(mail.link);
    assert.match(await text(page, 'body'), /Choose a new password for/);
    // The policy is checked as the user types.
    await page.fill('#password', 'short');
    await screenshot(page, 'reset-page-weak');
    await page.fill('#password', newPassword);
    await page.fill('#confirm', newPassword);
    await screenshot(page, 'reset-page-filled');
    await submit(page, '#reset button[type=submit]');
    assert.match(await text(page, 'body'), /Your password has been changed/);
    await screenshot(page, 'reset-done');

    await signIn(page, stack, ALICE, ALICE.password);
    assert.equal(path(page), '/login');
    assert.match(await text(page, '#error'), /Wrong email or password/);
    await screenshot(page, 'old-password-refused');

    await signIn(page, stack, ALICE, newPassword);
    assert.equal(path(page), '/');
    await screenshot(page, 'new-password-works');
    await submit(page, '#logout');

    const again = await page.goto(mail.link);
    assert.equal(again?.status(), 400);
    assert.match(await text(page, 'body'), /already been used|no longer works/);
    await screenshot(page, 'reset-link-reused');
    await ctx.close();
  });

  it('an expired reset link shows a clear page', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const email = 'carol@acme.test';
    await page.goto(`${stack.appUrl}forgot`);
    await page.fill('#email', email);
    const sent = Date.now();
    await submit(page, '#send-reset');
    const mail = await emailedLink(stack, email, 'reset', { after: sent - 1000 });
    await expireTickets(stack, 'auth0|carol');
    const res = await page.goto(mail.link);
    assert.equal(res?.status(), 400);
    assert.match(await text(page, 'body'), /This link has expired/);
    assert.equal(await page.$('#reset'), null);
    await screenshot(page, 'reset-link-expired');
    await ctx.close();
  });

  it('"Forgot password?" for an unknown address looks the same and sends nothing', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${stack.appUrl}forgot`);
    await page.fill('#email', 'nobody@acme.test');
    await submit(page, '#send-reset');
    assert.equal(path(page), '/login');
    assert.match(await text(page, '#notice'), /Check your email/);
    await assert.rejects(emailedLink(stack, 'nobody@acme.test', 'reset', { timeoutMs: 1000 }));
    await ctx.close();
  });
});

describe('sign-up and reset with the emails sent over SMTP', { skip: browserMissing() }, () => {
  let smtp: TestSmtp;
  let stack: Stack;
  let browser: Browser;
  const link = (body: string, pageName: string) => {
    const m = new RegExp(`https?://[^\\s"'<>]+/lo/${pageName}\\?ticket=[A-Za-z0-9_-]+`).exec(body);
    assert.ok(m, `no ${pageName} link in:\n${body}`);
    return m[0].replace(/&amp;/g, '&');
  };

  before(async () => {
    smtp = await startSmtp();
    stack = await startStack({ emailLinks: true, smtpUrl: smtp.url });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await smtp?.close();
  });

  it('the verification and reset emails arrive by SMTP (text and HTML) and their links work', async () => {
    const user = { email: 'gina@acme.test', realm: 'customers' };
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${stack.appUrl}signup`);
    await page.fill('#email', user.email);
    await page.fill('#password', 'Gina-smtp-passw0rd');
    const verifyMail = smtp.next(user.email);
    await submit(page, '#create-account');
    assert.equal(path(page), '/login');
    const verify = await verifyMail;
    const verifyLink = link(verify.text, 'verify_email');
    assert.ok(verify.html, 'the verification email has an HTML part');
    assert.equal(link(verify.html, 'verify_email'), verifyLink);
    await page.goto(verifyLink);
    assert.match(await text(page, 'body'), /Your email address has been verified/);

    await page.goto(`${stack.appUrl}forgot`);
    await page.fill('#email', user.email);
    // The welcome email may come first (sent once the address is verified): wait for the reset one.
    const resetMail = (async () => {
      for (;;) {
        const m = await smtp.next(user.email);
        if (/\/lo\/reset\?ticket=/.test(m.text)) return m;
      }
    })();
    await submit(page, '#send-reset');
    const reset = await resetMail;
    await page.goto(link(reset.text, 'reset'));
    await page.fill('#password', 'Gina-reset-passw0rd');
    await page.fill('#confirm', 'Gina-reset-passw0rd');
    await submit(page, '#reset button[type=submit]');
    assert.match(await text(page, 'body'), /Your password has been changed/);
    await signIn(page, stack, user, 'Gina-reset-passw0rd');
    assert.equal(path(page), '/');
    assert.equal(await text(page, '[data-claim="email_verified"]'), 'true');
    await screenshot(page, 'smtp-signed-in-after-reset');
    await ctx.close();
  });
});
