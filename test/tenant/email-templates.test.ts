import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderEmail } from '../../src/notify/templates.js';
import { applyTenant } from '../../src/tenant/apply.js';
import { exportTenant } from '../../src/tenant/export.js';
import { parseTenantFile } from '../../src/tenant/parse.js';
import { TenantFileError } from '../../src/tenant/schema.js';
import { storeKinds } from '../helpers/stores.js';

const FILE = `
emailTemplates:
  verify_email:
    enabled: true
    from: "Acme <accounts@acme.test>"
    subject: "Confirm {{ user.email }}"
    body: "<p>Hello {{ user.name }}, <a href='{{ url }}'>confirm</a></p>"
    resultUrl: https://app.acme.test/welcome
    urlLifetimeInSeconds: 86400
    syntax: liquid
  reset_email:
    text: "Reset: {{ url }}"
`;

describe('tenant file: emailTemplates', () => {
  it('parses Auth0’s names and fields', () => {
    const doc = parseTenantFile(FILE, {});
    assert.equal(doc.emailTemplates?.verify_email?.urlLifetimeInSeconds, 86400);
    assert.equal(doc.emailTemplates?.reset_email?.text, 'Reset: {{ url }}');
  });

  it('names every problem: unknown template or field, types, bad Liquid, bad URL and lifetime', () => {
    const bad = `
emailTemplates:
  verify_mail: {}
  reset_email:
    subject: "{% if x %}never closed"
    colour: red
    enabled: "yes"
    resultUrl: ftp://x
    urlLifetimeInSeconds: 5
    from: "not an address"
`;
    assert.throws(
      () => parseTenantFile(bad, {}),
      (err: TenantFileError) => {
        assert.ok(err instanceof TenantFileError);
        const text = err.errors.join('\n');
        assert.match(
          text,
          /emailTemplates\.verify_mail: unknown email template \(known: verify_email, reset_email/,
        );
        assert.match(text, /emailTemplates\.reset_email\.colour: unknown field/);
        assert.match(text, /emailTemplates\.reset_email\.enabled: must be true or false/);
        assert.match(text, /emailTemplates\.reset_email\.subject: not valid Liquid: /);
        assert.match(text, /emailTemplates\.reset_email\.resultUrl: must be an absolute http\(s\) URL/);
        assert.match(text, /emailTemplates\.reset_email\.urlLifetimeInSeconds: must be a whole number/);
        assert.match(text, /emailTemplates\.reset_email\.from: must be an address/);
        return true;
      },
    );
  });

  for (const kind of storeKinds) {
    it(`apply stores the section, the renderer uses it, export gives it back (${kind.name})`, async () => {
      const store = await kind.open();
      try {
        await applyTenant(store, parseTenantFile(FILE, {}));
        const mail = await renderEmail(store.db, 'verify_email', 'ann@example.com', {
          friendly_name: 'Acme',
          user: { email: 'ann@example.com', name: 'Ann & <Co>' },
          url: 'https://tessera.test/lo/verify_email?ticket=x',
        });
        assert.equal(mail?.subject, 'Confirm ann@example.com');
        assert.equal(mail?.from, 'Acme <accounts@acme.test>');
        assert.equal(
          mail?.html,
          "<p>Hello Ann &amp; &lt;Co&gt;, <a href='https://tessera.test/lo/verify_email?ticket=x'>confirm</a></p>",
        );
        assert.equal(mail?.text, 'Hello Ann & <Co>, confirm (https://tessera.test/lo/verify_email?ticket=x)');
        const reset = await renderEmail(store.db, 'reset_email', 'ann@example.com', {
          friendly_name: 'Acme',
          url: 'U',
        });
        assert.equal(reset?.text, 'Reset: U');
        assert.equal(reset?.subject, 'Reset your Acme password');
        const doc = await exportTenant(store);
        assert.deepEqual(doc.emailTemplates, parseTenantFile(FILE, {}).emailTemplates);
      } finally {
        await store.close();
      }
    });
  }
});
