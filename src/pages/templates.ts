/**
 * The Liquid templates of Tessera's own pages, kept in the code (no files to
 * ship or find): one layout, one stylesheet, the reset form and a message
 * page. Every output is HTML-escaped; style and script carry the page's nonce.
 */
const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }} · {{ tenant }}</title>
<style nonce="{{ nonce }}">
:root { color-scheme: light dark; --accent: #4f46e5; --ok: #15803d; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f4f8; color: #1f2937; }
main { width: min(26rem, 92vw); background: #fff; border-radius: 12px; padding: 2rem; box-shadow: 0 8px 30px rgba(0,0,0,.08); }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
.tenant { color: #6b7280; margin: 0 0 1.25rem; font-size: .9rem; }
label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
input[type=password] { width: 100%; padding: .65rem .75rem; border: 1px solid #d1d5db; border-radius: 8px; font: inherit; }
input[type=password]:focus { outline: 2px solid var(--accent); border-color: transparent; }
button, .button { display: inline-block; margin-top: 1.25rem; width: 100%; padding: .7rem; border: 0; border-radius: 8px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; text-align: center; text-decoration: none; cursor: pointer; }
.rules { list-style: none; padding: 0; margin: .75rem 0 0; font-size: .9rem; }
.rules li::before { content: "○ "; }
.rules li.ok { color: var(--ok); }
.rules li.ok::before { content: "✓ "; }
.rules ul { list-style: none; padding-left: 1.2rem; margin: 0; }
.error { background: #fef2f2; color: var(--bad); border-radius: 8px; padding: .6rem .8rem; }
.done { color: var(--ok); }
@media (prefers-color-scheme: dark) { body { background: #111827; color: #e5e7eb; } main { background: #1f2937; } input[type=password] { background: #111827; color: inherit; border-color: #374151; } .error { background: #3f1d1d; } }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p class="tenant">{{ tenant }}</p>
{% block content %}{% endblock %}
</main>
</body>
</html>
`;

const message = `{% layout "pages/layout.liquid" %}{% block content %}
<p class="{{ kind }}">{{ text }}</p>
{% if link %}<a class="button" href="{{ link }}">{{ link_label }}</a>{% endif %}
{% endblock %}`;

const reset = `{% layout "pages/layout.liquid" %}{% block content %}
<p>Choose a new password for <strong>{{ account }}</strong>.</p>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="reset" id="reset" autocomplete="off"
  data-min-length="{{ policy.minLength }}" data-classes="{{ policy.classes }}" data-no-triples="{{ policy.noTriples }}">
<input type="hidden" name="ticket" value="{{ ticket }}">
<input type="hidden" name="csrf" value="{{ csrf }}">
<input type="text" name="username" value="{{ account }}" autocomplete="username" hidden readonly>
<label for="password">New password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required maxlength="256" aria-describedby="policy">
<ul class="rules" id="policy" aria-live="polite">
{% for rule in rules %}<li data-rule="{{ rule.code }}">{{ rule.text }}{% if rule.items %}<ul>{% for item in rule.items %}<li data-rule="{{ item.code }}">{{ item.message }}</li>{% endfor %}</ul>{% endif %}</li>
{% endfor %}<li data-rule="match">Both passwords match</li>
</ul>
<label for="confirm">Repeat the new password</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" required maxlength="256">
<button type="submit">Set the new password</button>
</form>
<script nonce="{{ nonce }}">
(function () {
  var form = document.getElementById('reset');
  var pw = document.getElementById('password');
  var again = document.getElementById('confirm');
  var min = Number(form.dataset.minLength), classes = form.dataset.classes, noTriples = form.dataset.noTriples === 'true';
  var tests = { lowerCase: /\\p{Ll}/u, upperCase: /\\p{Lu}/u, numbers: /\\p{Nd}/u, specialCharacters: /[^\\p{L}\\p{N}]/u };
  function mark(code, ok) {
    var li = form.querySelector('[data-rule="' + code + '"]');
    if (li) li.classList.toggle('ok', ok);
  }
  function check() {
    var v = pw.value, n = 0, codes = Object.keys(tests);
    mark('lengthAtLeast', Array.from(v).length >= min);
    codes.forEach(function (c) { var ok = tests[c].test(v); mark(c, ok); if (ok) n++; });
    var upToThree = codes.slice(0, 3).every(function (c) { return tests[c].test(v); });
    mark('shouldContain', classes === 'all3' && upToThree);
    mark('containsAtLeast', classes === '3of4' && n >= 3);
    mark('identicalChars', noTriples && v !== '' && !/(.)\\1\\1/su.test(v));
    mark('match', v !== '' && v === again.value);
  }
  pw.addEventListener('input', check);
  again.addEventListener('input', check);
  form.addEventListener('submit', function (e) {
    if (pw.value !== again.value) { e.preventDefault(); again.setCustomValidity('The passwords differ'); again.reportValidity(); }
    else again.setCustomValidity('');
  });
})();
</script>
{% endblock %}`;

export const PAGE_TEMPLATES: Record<string, string> = {
  'pages/layout.liquid': layout,
  'pages/message.liquid': message,
  'pages/reset.liquid': reset,
};
