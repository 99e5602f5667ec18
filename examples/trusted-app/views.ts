import { type Html, html, page } from './html.js';
import type { Notice, PendingMfa, Session } from './sessions.js';

export interface Realm {
  /** What the dropdown shows. */
  label: string;
  /** The realm sent to Tessera (a connection name or one of its aliases). */
  realm: string;
}

function notice(n: Notice | undefined): Html | string {
  if (!n) return '';
  return html`<div class="message ${n.kind}" id="${n.kind}" role="${n.kind === 'error' ? 'alert' : 'status'}">
  ${n.title ? html`<strong>${n.title}</strong>` : ''}
  <span>${n.text}</span>
  ${n.code ? html`<div><span class="code" id="new-recovery-code">${n.code}</span></div>` : ''}
</div>`;
}

const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export function loginPage(p: {
  csrf: string;
  realms: Realm[];
  username?: string;
  realm?: string;
  notice?: Notice;
}): string {
  return page({
    title: 'Sign in',
    body: html`<div class="card narrow">
  <h1>Sign in</h1>
  ${notice(p.notice)}
  <form method="post" action="/login" id="login-form">
    ${csrfField(p.csrf)}
    <label for="username">Email</label>
    <input id="username" name="username" type="text" autocomplete="username" required autofocus value="${p.username ?? ''}">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <label for="realm">Directory</label>
    <select id="realm" name="realm">
      ${p.realms.map((r) => html`<option value="${r.realm}"${r.realm === p.realm ? html` selected` : ''}>${r.label}</option>`)}
    </select>
    <div class="actions"><button type="submit" id="sign-in">Sign in</button></div>
  </form>
  <p class="muted">This app sends your email and password to Tessera from its server
  (the password-realm grant) and keeps the tokens it gets on the server too.</p>
</div>`,
  });
}

const FACTOR_LABEL: Record<string, string> = {
  otp: 'Authenticator app',
  email: 'Email',
  sms: 'Text message',
};

function codeForm(csrf: string, method: 'otp' | 'oob' | 'recovery', label: string, submit: string): Html {
  const recovery = method === 'recovery';
  return html`<form method="post" action="/mfa/verify" id="code-form">
    ${csrfField(csrf)}
    <input type="hidden" name="method" value="${method}">
    <label for="code">${label}</label>
    <input id="code" name="code" type="text" required autocomplete="one-time-code"
      ${recovery ? html`autocapitalize="characters" spellcheck="false"` : html`inputmode="numeric" pattern="[0-9]{6}" maxlength="6"`}>
    <div class="actions"><button type="submit" id="verify">${submit}</button></div>
  </form>`;
}

function recoveryBox(code: string | undefined): Html | string {
  if (!code) return '';
  return html`<div class="hint">
    <strong>Your recovery code</strong> — write it down and keep it somewhere safe. It signs you in
    if you lose your device, once.
    <div class="code-line"><span class="code" id="recovery-code">${code}</span></div>
  </div>`;
}

/** The MFA step: pick a factor to enroll, finish an enrolment, or answer a challenge. */
export function mfaPage(p: {
  session: Session;
  mfa: PendingMfa;
  useRecovery?: boolean;
  notice?: Notice;
}): string {
  const { mfa } = p;
  const csrf = p.session.csrf;
  const who = html`<p class="muted">Signing in as <strong>${mfa.username}</strong> (${mfa.realm}).</p>`;
  let body: Html;
  if (p.useRecovery) {
    body = html`<h1>Use a recovery code</h1>${who}${notice(p.notice)}
  ${codeForm(csrf, 'recovery', 'Recovery code', 'Sign in')}
  <p><a href="/mfa">Back</a></p>`;
  } else if (mfa.enrollment?.type === 'otp') {
    const e = mfa.enrollment;
    body = html`<h1>Set up your authenticator app</h1>${who}${notice(p.notice)}
  <div class="qr">
    <img id="otp-qr" src="${e.qrDataUrl}" alt="QR code to scan with an authenticator app">
    <div>
      <p>Scan the QR code with an authenticator app (Google Authenticator, 1Password, Authy…),
      or type this key in:</p>
      <p><span class="code secret" id="otp-secret">${e.secret}</span></p>
    </div>
  </div>
  ${recoveryBox(e.recoveryCode)}
  ${codeForm(csrf, 'otp', 'The 6-digit code your app shows', 'Verify and sign in')}`;
  } else if (mfa.enrollment?.type === 'oob') {
    const e = mfa.enrollment;
    body = html`<h1>Check your ${e.channel === 'sms' ? 'phone' : 'email'}</h1>${who}${notice(p.notice)}
  <p>We sent a 6-digit code. (In the demo, messages land in Tessera's outbox: <code>npx tessera outbox</code>.)</p>
  ${recoveryBox(e.recoveryCode)}
  ${codeForm(csrf, 'oob', 'The code you received', 'Verify and sign in')}`;
  } else if (mfa.requirements.enroll) {
    const factors = mfa.requirements.enroll.map((f) => f.type).filter((t) => t in FACTOR_LABEL);
    const email = mfa.username.includes('@') ? mfa.username : '';
    body = html`<h1>Set up two-step verification</h1>${who}${notice(p.notice)}
  <p>Your organisation asks for a second step when you sign in. Choose how you want to receive codes.</p>
  ${
    factors.includes('otp')
      ? html`<form method="post" action="/mfa/enroll">${csrfField(csrf)}
    <input type="hidden" name="factor" value="otp">
    <div class="actions"><button type="submit" id="enroll-otp">Use an authenticator app</button>
    <span class="muted">recommended</span></div>
  </form>`
      : ''
  }
  ${
    factors.includes('email')
      ? html`<p class="or">or</p><form method="post" action="/mfa/enroll">${csrfField(csrf)}
    <input type="hidden" name="factor" value="email">
    <label for="email">Email me codes at</label>
    <input id="email" name="email" type="email" required value="${email}">
    <div class="actions"><button type="submit" class="secondary" id="enroll-email">Send a code by email</button></div>
  </form>`
      : ''
  }
  ${
    factors.includes('sms')
      ? html`<p class="or">or</p><form method="post" action="/mfa/enroll">${csrfField(csrf)}
    <input type="hidden" name="factor" value="sms">
    <label for="phone">Text me codes at</label>
    <input id="phone" name="phone_number" type="tel" required placeholder="+15551234567">
    <div class="actions"><button type="submit" class="secondary" id="enroll-sms">Send a code by text message</button></div>
  </form>`
      : ''
  }`;
  } else {
    const types = (mfa.requirements.challenge ?? []).map((c) => c.type);
    const oobTypes = types.filter((t) => t === 'email' || t === 'sms');
    let prompt: Html;
    if (mfa.oob) {
      prompt = html`<p>We sent a 6-digit code by ${mfa.oob.channel === 'sms' ? 'text message' : 'email'}${
        mfa.oob.name ? html` to <strong>${mfa.oob.name}</strong>` : ''
      }.</p>${codeForm(csrf, 'oob', 'The code you received', 'Sign in')}`;
    } else if (types.includes('otp')) {
      prompt = codeForm(csrf, 'otp', 'The 6-digit code from your authenticator app', 'Sign in');
    } else {
      prompt = html``;
    }
    const senders = oobTypes.map(
      (t) => html`<form method="post" action="/mfa/send">${csrfField(csrf)}
    <input type="hidden" name="channel" value="${t}">
    <button type="submit" class="secondary" id="send-${t}">${mfa.oob ? 'Send a new code' : 'Send me a code'} by ${FACTOR_LABEL[t]!.toLowerCase()}</button>
  </form>`,
    );
    body = html`<h1>Two-step verification</h1>${who}${notice(p.notice)}
  ${prompt}
  ${senders.length ? html`<div class="actions">${senders}</div>` : ''}
  <p class="muted">Lost your device? <a href="/mfa?use=recovery" id="use-recovery">Use a recovery code</a>.</p>`;
  }
  return page({
    title: 'Two-step verification',
    body: html`<div class="card narrow mfa">${body}
  <form method="post" action="/mfa/cancel" class="cancel">${csrfField(csrf)}<button type="submit" class="link">Cancel and sign in again</button></form>
</div>`,
  });
}

export interface Order {
  id?: unknown;
  item?: unknown;
  quantity?: unknown;
  total?: unknown;
  status?: unknown;
}

export type ApiResult =
  | { ok: true; status: number; body: { sub?: unknown; scopes?: unknown; orders?: Order[] } }
  | { ok: false; status?: number; message: string };

const formatTime = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

export function homePage(p: {
  session: Session;
  name: string;
  profile: Record<string, unknown> | { error: string };
  orders: ApiResult;
  notice?: Notice;
}): string {
  const tokens = p.session.tokens!;
  const user = p.session.user!;
  const orders = p.orders;
  const ordersPanel = orders.ok
    ? html`<table>
    <thead><tr><th>Order</th><th>Item</th><th>Qty</th><th>Total</th><th>Status</th></tr></thead>
    <tbody>${(orders.body.orders ?? []).map(
      (o) =>
        html`<tr><td><code>${o.id}</code></td><td>${o.item}</td><td>${o.quantity}</td><td>${o.total}</td><td><span class="badge ${String(o.status)}">${o.status}</span></td></tr>`,
    )}</tbody>
  </table>
  <details><summary class="muted">The API's answer (HTTP ${orders.status})</summary><pre id="orders-json">${JSON.stringify(orders.body, null, 2)}</pre></details>`
    : html`<div class="message error" id="orders-error"><strong>The Orders API did not answer${
        orders.status ? html` (HTTP ${orders.status})` : ''
      }</strong>${orders.message}</div>`;
  const profile = p.profile;
  const profilePanel =
    'error' in profile && typeof profile.error === 'string' && Object.keys(profile).length === 1
      ? html`<div class="message error"><strong>Tessera's /userinfo did not answer</strong>${profile.error}</div>`
      : html`<dl>${Object.entries(profile).map(
          ([k, v]) =>
            html`<dt>${k}</dt><dd data-claim="${k}">${typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>`,
        )}</dl>`;
  return page({
    title: 'Your orders',
    signedIn: { name: p.name, csrf: p.session.csrf },
    body: html`${notice(p.notice)}
<div class="card">
  <h1>Hello, ${p.name}</h1>
  <p class="muted">Signed in through the <strong>${user.realm}</strong> directory. Your tokens stay on this app's
  server; your browser only holds a session cookie.</p>
</div>
<div class="card" id="orders">
  <h2>Your orders <span class="muted">— from the Orders API, called with your access token</span></h2>
  ${ordersPanel}
</div>
<div class="card" id="profile">
  <h2>Your profile <span class="muted">— from Tessera's /userinfo</span></h2>
  ${profilePanel}
</div>
<div class="card" id="session">
  <h2>Session</h2>
  <dl>
    <dt>Scopes</dt><dd id="scopes">${tokens.scope ?? '(as requested)'}</dd>
    <dt>Access token expires</dt><dd id="expires">${formatTime(tokens.expiresAt)}</dd>
    <dt>Refresh token</dt><dd>${tokens.refreshToken ? 'kept on the server' : 'none'}</dd>
    <dt>Refreshed</dt><dd id="refresh-count">${tokens.refreshCount} time${tokens.refreshCount === 1 ? '' : 's'}</dd>
  </dl>
  ${
    tokens.refreshToken
      ? html`<form method="post" action="/refresh"><input type="hidden" name="_csrf" value="${p.session.csrf}">
    <div class="actions"><button type="submit" class="secondary" id="refresh">Refresh the access token now</button></div></form>`
      : ''
  }
</div>`,
  });
}

export function errorPage(
  title: string,
  text: string,
  link = { href: '/', label: 'Back to the app' },
): string {
  return page({
    title,
    body: html`<div class="card narrow"><h1>${title}</h1><p>${text}</p><p><a href="${link.href}">${link.label}</a></p></div>`,
  });
}
