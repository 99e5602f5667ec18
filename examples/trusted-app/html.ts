import { createHash } from 'node:crypto';

/**
 * HTML from template strings, escaped by default: every `${value}` inside an
 * `html` template is escaped unless it is itself `html` (a fragment built the
 * same way). There is no other way to put text into a page.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

const CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif;color:#1f2933;background:#f1f4f8}
header{background:#1d3557;color:#fff;padding:.8rem 1.5rem;display:flex;align-items:center;justify-content:space-between;gap:1rem}
header .brand{font-weight:700;font-size:1.1rem;letter-spacing:.02em}
header .brand small{font-weight:400;opacity:.75;margin-left:.5rem}
header form{margin:0;display:flex;align-items:center;gap:.75rem}
header .who{color:#dbe7f5;font-size:.9rem}
main{max-width:760px;margin:2rem auto;padding:0 1rem}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(16,24,40,.12);padding:1.5rem 1.75rem;margin-bottom:1.25rem}
.card.narrow{max-width:440px;margin-left:auto;margin-right:auto}
h1{font-size:1.45rem;margin:0 0 1rem}
h2{font-size:1.1rem;margin:0 0 .75rem}
label{display:block;font-weight:600;font-size:.9rem;margin:.9rem 0 .3rem}
input,select{width:100%;padding:.55rem .65rem;font:inherit;border:1px solid #c3ccd7;border-radius:6px;background:#fff}
input:focus,select:focus{outline:2px solid #457b9d;border-color:#457b9d}
button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:.6rem 1.1rem;background:#1d3557;color:#fff;cursor:pointer}
button:hover{background:#264b78}
button.secondary{background:#e7ecf2;color:#1d3557}
button.link{background:none;color:#1d3557;padding:0;text-decoration:underline;font-weight:400}
header button{background:#fff;color:#1d3557}
form .actions{margin-top:1.2rem;display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
.message{border-radius:8px;padding:.75rem 1rem;margin-bottom:1rem}
.message.error{background:#fdecea;color:#8a1c1c;border:1px solid #f5c2c0}
.message.notice{background:#e8f4ec;color:#1e5631;border:1px solid #b9dfc6}
.message strong{display:block}
a{color:#1d3557}
.muted{color:#5f6b7a;font-size:.9rem}
.hint{background:#f7f9fb;border:1px dashed #c3ccd7;border-radius:8px;padding:.75rem 1rem;font-size:.9rem}
code,.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.code{display:inline-block;background:#f1f4f8;border-radius:6px;padding:.3rem .6rem;font-size:1.05rem;letter-spacing:.08em;word-break:break-all}
.qr{display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
.qr img{width:180px;height:180px;image-rendering:pixelated;border:1px solid #e1e6ec;border-radius:6px}
table{width:100%;border-collapse:collapse;font-size:.95rem}
th,td{text-align:left;padding:.5rem .4rem;border-bottom:1px solid #e6eaf0}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#5f6b7a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.25rem;margin:0}
dt{font-weight:600;color:#5f6b7a}
dd{margin:0;word-break:break-all}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.8rem;background:#e7ecf2}
.badge.shipped{background:#e8f4ec;color:#1e5631}
.badge.processing{background:#fff4e0;color:#7a4b00}
pre{background:#0f1b2d;color:#dbe7f5;padding:.9rem;border-radius:8px;overflow:auto;font-size:.85rem}
.code-line{margin-top:.5rem}
.code.secret{font-size:.95rem;letter-spacing:.03em}
details{margin-top:.75rem}
form.cancel{margin-top:1.25rem;border-top:1px solid #e6eaf0;padding-top:.75rem}
.card.mfa{max-width:520px}
.or{margin:1.25rem 0 .25rem;color:#5f6b7a;font-size:.9rem}
`;

/** The Content-Security-Policy hash of the inline stylesheet, so no other inline style or script runs. */
export const STYLE_HASH = `sha256-${createHash('sha256').update(CSS).digest('base64')}`;

export interface PageOptions {
  title: string;
  body: Html;
  /** Shown in the header with a sign-out button. */
  signedIn?: { name: string; csrf: string };
}

export function page({ title, body, signedIn }: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Acme Orders</title>
<style>${new Html(CSS)}</style>
</head>
<body>
<header>
  <div class="brand">Acme Orders<small>a trusted app of Tessera</small></div>
  ${
    signedIn
      ? html`<form method="post" action="/logout">
    <span class="who" id="who">${signedIn.name}</span>
    <input type="hidden" name="_csrf" value="${signedIn.csrf}">
    <button type="submit" id="logout">Sign out</button>
  </form>`
      : ''
  }
</header>
<main>
${body}
</main>
</body>
</html>
`.value;
}
