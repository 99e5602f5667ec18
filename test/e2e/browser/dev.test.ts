import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { ALICE, BOB, CAROL, browserMissing, launchBrowser, ROOT, screenshots } from './stack.js';

const screenshot = screenshots('dev');

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/bin.ts'];

/** `tessera dev` (what `npm start` runs), once it has printed the demo apps' banner. */
function startDev(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [...CLI, 'dev'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no demo banner in 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/mfa-everyone\.yaml\n/.test(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out });
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tessera dev exited with ${code}:\n${out}`));
    });
  });
}

async function signIn(page: Page, appUrl: string, user: typeof ALICE): Promise<void> {
  await page.goto(`${appUrl}login`);
  await page.fill('#username', user.email);
  await page.fill('#password', user.password);
  await page.selectOption('#realm', user.realm);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
}

describe('npm start (tessera dev): Tessera, the Orders API and the trusted app together', {
  skip: browserMissing(),
}, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-dev-'));
    env = { ...process.env, TESSERA_DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', TESSERA_LOG_LEVEL: 'warn' };
    for (const k of [
      'TESSERA_SECRET',
      'TESSERA_DATABASE_URL',
      'TESSERA_ISSUER',
      'ORDERS_API_PORT',
      'TRUSTED_APP_PORT',
    ])
      delete env[k];
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the app and the demo users; the printed credentials sign in; the MFA file turns MFA on; SIGTERM stops it', async () => {
    const { child, out } = await startDev(env);
    try {
      const appUrl = /Trusted app \(sign in here\): +(http:\/\/localhost:\d+\/)/.exec(out())?.[1];
      assert.ok(appUrl, out());
      assert.match(out(), /Orders API: +http:\/\/localhost:\d+\/orders/);
      // The credentials come from the banner, as a newcomer reads them.
      const creds = [...out().matchAll(/^ {2}(customers|employees) +(\S+@\S+) +(\S+)$/gm)].map((m) => ({
        realm: m[1]!,
        email: m[2]!,
        password: m[3]!,
      }));
      assert.deepEqual(creds, [ALICE, BOB, CAROL]);

      const page = await browser.newPage();
      for (const user of [ALICE, BOB]) {
        await signIn(page, appUrl, user);
        assert.equal(new URL(page.url()).pathname, '/');
        assert.match((await page.textContent('#orders')) ?? '', /ord_1001/);
        assert.equal(await page.textContent('#profile [data-claim="email"]'), user.email);
        await screenshot(page, `dev-${user.realm}-home`);
        await Promise.all([page.waitForNavigation(), page.click('#logout')]);
      }

      // Carol is asked for a second factor by the demo tenant's rule.
      await signIn(page, appUrl, CAROL);
      assert.equal(new URL(page.url()).pathname, '/mfa');
      assert.ok(await page.$('#enroll-otp'));
      await screenshot(page, 'dev-carol-mfa');
      await page.goto(appUrl);

      // The README's way to see MFA for everybody: apply the file while dev runs (seen within the 5 s config cache).
      const applied = await run(
        process.execPath,
        [...CLI, 'apply', 'examples/trusted-app/mfa-everyone.yaml'],
        {
          cwd: ROOT,
          env,
        },
      );
      assert.match(applied.stdout, /updated setting guardian/);
      let path = '';
      for (let i = 0; i < 12 && path !== '/mfa'; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 1000));
        await signIn(page, appUrl, BOB);
        path = new URL(page.url()).pathname;
        if (path === '/') await Promise.all([page.waitForNavigation(), page.click('#logout')]);
      }
      assert.equal(path, '/mfa');
      assert.ok(await page.$('#enroll-otp'));
      await screenshot(page, 'dev-mfa-required');
      await page.close();
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
  });
});
