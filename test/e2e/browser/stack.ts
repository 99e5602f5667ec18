import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { SessionStore } from '../../../examples/trusted-app/sessions.js';
import { loadConfig } from '../../../src/config/config.js';
import { DEMO_CLIENT, type DemoApps, startDemoApps } from '../../../src/cli/demo.js';
import { type Started, startServer } from '../../../src/cli/serve.js';
import { readOutbox } from '../../../src/notify/outbox.js';
import { applyTenant } from '../../../src/tenant/apply.js';
import { parseTenantFile } from '../../../src/tenant/parse.js';
import { freePort } from '../../helpers/free-port.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

export const ALICE = { email: 'alice@acme.test', password: 'Alice-demo-passw0rd', realm: 'customers' };
export const BOB = { email: 'bob@acme.test', password: 'Bob-demo-passw0rd', realm: 'employees' };
/** A rule of the demo tenant asks Carol for a second factor. */
export const CAROL = { email: 'carol@acme.test', password: 'Carol-demo-passw0rd', realm: 'customers' };

/** Why the browser tests cannot run here, or undefined. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;
}

/** Debian's Chromium, headless, never a downloaded browser, no network but localhost. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Takes full-page PNGs under test-output/screenshots/<group>/, numbered in the
 * order taken (each test file runs in its own process, with its own group).
 */
export function screenshots(group: string): (page: Page, name: string) => Promise<string> {
  let shot = 0;
  return async (page, name) => {
    const dir = join(SCREENSHOTS, group);
    mkdirSync(dir, { recursive: true });
    shot += 1;
    const path = join(dir, `${String(shot).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  };
}

/** TESSERA_SECRET of the stack's Tessera (the outbox's bodies are sealed under it). */
export const SECRET = 'browser-test-secret-browser-test-secret-0123';

export interface Stack {
  tessera: Started;
  apps: DemoApps;
  /** Tessera, server to server (http://127.0.0.1:PORT). */
  tesseraUrl: string;
  /** The trusted app, with a trailing slash. */
  appUrl: string;
  sessions: SessionStore;
  /** Moves the trusted app's clock (not Tessera's). */
  clock: { skewMs: number; now: () => number };
  /** Applies a (partial) tenant file, as `tessera apply` would. */
  apply(yaml: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * What `tessera dev` starts, in this process: Tessera on a new SQLite
 * database in a temporary data directory with the demo tenant, then the
 * Orders API and the trusted app, all on free ports.
 */
export async function startStack(opts: { emailLinks?: boolean; smtpUrl?: string } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-browser-'));
  // The links Tessera emails start with its issuer: with `emailLinks`, Tessera gets a fixed
  // port and an issuer there, so a browser can open them as they are.
  const port = opts.emailLinks ? await freePort() : 0;
  const config = loadConfig({
    TESSERA_DATA_DIR: dir,
    TESSERA_SECRET: SECRET,
    HOST: '127.0.0.1',
    PORT: String(port),
    TESSERA_LOG_LEVEL: 'warn',
    ...(opts.emailLinks ? { TESSERA_ISSUER: `http://127.0.0.1:${port}/` } : {}),
    // Emails through a real SMTP server (test/helpers/smtp.ts) instead of the outbox.
    ...(opts.smtpUrl ? { TESSERA_SMTP_URL: opts.smtpUrl } : {}),
  });
  const tessera = await startServer(config, { demo: true });
  const clock = {
    skewMs: 0,
    now: () => Date.now() + clock.skewMs,
  };
  // Sessions age by the real clock: only the tokens' expiry is judged by the moved one.
  const sessions = new SessionStore();
  const apps = await startDemoApps(config, tessera, {
    env: {},
    trustedApp: { sessions, now: clock.now },
    warn: (m) => {
      throw new Error(m);
    },
  });
  return {
    tessera,
    apps,
    tesseraUrl: tessera.url,
    appUrl: apps.trustedAppUrl!,
    sessions,
    clock,
    async apply(yaml: string) {
      await applyTenant(tessera.rt.store, parseTenantFile(yaml, {}), {});
    },
    async close() {
      await apps.close();
      await tessera.app.close();
      // Attack protection keeps counters (timers, maybe Redis) while it exists in the runtime.
      await (tessera.rt as { protection?: { close?: () => Promise<void> } }).protection?.close?.();
      await tessera.rt.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const readExample = (path: string) => readFileSync(join(ROOT, 'examples', path), 'utf8');

/** A refresh-token grant for the demo client, straight at Tessera. */
export function refreshAt(stack: Stack, refreshToken: string): Promise<Response> {
  return fetch(`${stack.tesseraUrl}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: DEMO_CLIENT.clientId,
      client_secret: DEMO_CLIENT.clientSecret,
    }),
  });
}

/** RFC 7662 introspection by the demo client. */
export async function introspect(stack: Stack, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.tesseraUrl}/oauth/introspect`, {
    method: 'POST',
    body: new URLSearchParams({
      token,
      client_id: DEMO_CLIENT.clientId,
      client_secret: DEMO_CLIENT.clientSecret,
    }),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Whether attack protection has landed in this tree (the blocking test needs it). */
export const protectionLanded = () => existsSync(join(ROOT, 'src', 'protection', 'index.ts'));

/**
 * The newest email to `to` whose text holds a link to Tessera's `<issuer>lo/<page>?ticket=…`,
 * read from the outbox (no SMTP configured), waiting for it: Tessera sends after answering.
 */
export async function emailedLink(
  stack: Stack,
  to: string,
  pageName: 'reset' | 'verify_email',
  opts: { after?: number; timeoutMs?: number } = {},
): Promise<{ link: string; subject: string | null; body: string }> {
  const re = new RegExp(`https?://[^\\s"'<>]+/lo/${pageName}\\?ticket=[A-Za-z0-9_-]+`);
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const rows = await readOutbox(stack.tessera.rt.store, SECRET, { recipient: to, limit: 20 });
    for (const row of rows) {
      if (opts.after !== undefined && row.created_at < opts.after) continue;
      const m = re.exec(row.body);
      if (m) return { link: m[0], subject: row.subject, body: row.body };
    }
    if (Date.now() > deadline) throw new Error(`no ${pageName} email to ${to} in the outbox`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
