// biome-ignore-all lint/suspicious/noTemplateCurlyInString: tenant files spell ${VAR} literally
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTenantFile } from '../../src/tenant/parse.js';
import { ENV, errorsOf, example, exampleText } from './helpers.js';

describe('parseTenantFile', () => {
  it('parses the whole example file, with variables substituted', () => {
    const doc = example();
    assert.deepEqual(doc.tenant, {
      friendly_name: 'Acme',
      picture_url: 'https://acme.test/logo.png',
      support_email: 'support@acme.test',
      support_url: 'https://acme.test/help',
      enabled_locales: ['en'],
      issuer: 'http://localhost:3000/',
      default_directory: 'Username-Password-Authentication',
      default_audience: 'https://api.acme.test/orders',
    });
    assert.deepEqual(
      doc.connections?.map((c) => [c.name, c.enabled_clients]),
      [
        ['Username-Password-Authentication', ['acme-web', 'acme-spa']],
        ['employees', ['acme-web']],
      ],
    );
    assert.deepEqual(doc.connections?.[0].options, {
      brute_force_protection: true,
      password_policy: 'good',
      password_complexity_options: { min_length: 8 },
      password_history: { enable: false, size: 5 },
      password_dictionary: { enable: false, dictionary: ['acme'] },
      password_no_personal_info: { enable: false },
      requires_username: false,
      validation: { username: { min: 1, max: 15 } },
      disable_signup: false,
    });
    assert.deepEqual(doc.resourceServers?.[0].scopes, [
      { value: 'read:orders', description: 'Read orders' },
      { value: 'write:orders', description: 'Create orders' },
    ]);
    const [web, spa] = doc.clients ?? [];
    assert.equal(web.client_secret, ENV.ACME_WEB_SECRET);
    assert.equal(web.grant_types.length, 6);
    assert.deepEqual(web.refresh_token, {
      rotation_type: 'rotating',
      expiration_type: 'expiring',
      leeway: 0,
      token_lifetime: 2592000,
      idle_token_lifetime: 1296000,
      infinite_token_lifetime: false,
      infinite_idle_token_lifetime: false,
    });
    assert.equal(spa.token_endpoint_auth_method, 'none');
    assert.equal(spa.client_secret, undefined);
    assert.equal(doc.users?.[0].password, ENV.ALICE_PASSWORD);
    assert.deepEqual(doc.users?.[0].app_metadata, { roles: ['admin'] });
    assert.match(doc.users?.[1].custom_password_hash?.hash.value ?? '', /^\$2b\$10\$.{53}$/);
    assert.match(doc.rules?.[0].script ?? '', /^function addRoles/);
    assert.deepEqual(doc.actions?.[0].secrets, { SUPPORT_EMAIL: 'help@acme.test' });
    assert.deepEqual(doc.guardian, {
      policies: [],
      factors: { otp: true, sms: true, email: true, 'recovery-code': true },
    });
    assert.deepEqual(doc.attackProtection?.suspiciousIpThrottling?.stage, {
      'pre-login': { max_attempts: 100, rate: 864000 },
    });
  });

  it('accepts JSON, since JSON is YAML', () => {
    const doc = parseTenantFile(JSON.stringify(example()), {});
    assert.deepEqual(doc, example());
  });

  it('names a missing variable and the path of the value that uses it', () => {
    assert.deepEqual(errorsOf(exampleText, { ALICE_PASSWORD: 'x', PARTNER_API_KEY: 'k' }), [
      'clients[0].client_secret: environment variable ACME_WEB_SECRET is not set',
    ]);
    assert.deepEqual(errorsOf(exampleText, {}), [
      'clients[0].client_secret: environment variable ACME_WEB_SECRET is not set',
      'users[0].password: environment variable ALICE_PASSWORD is not set',
      'rulesConfigs[0].value: environment variable PARTNER_API_KEY is not set',
    ]);
  });

  it('substitutes inside a longer string, and $${X} is a literal ${X}', () => {
    const doc = parseTenantFile(
      'tenant: { friendly_name: "${A}-${B} costs $${PRICE} and $$${A}", issuer: "https://${HOST}/" }',
      { A: 'x', B: 'y', HOST: 'auth.acme.test' },
    );
    assert.equal(doc.tenant?.friendly_name, 'x-y costs ${PRICE} and $${A}');
    assert.equal(doc.tenant?.issuer, 'https://auth.acme.test/');
  });

  it('leaves a ${…} that is not a variable name alone (a template literal in a script)', () => {
    const doc = parseTenantFile('tenant: { friendly_name: "${a + b} ${ x }" }', {});
    assert.equal(doc.tenant?.friendly_name, '${a + b} ${ x }');
  });

  it('takes rule scripts and action code verbatim: ${NAME} there is JavaScript', () => {
    const text = [
      'rules:',
      '  - name: r',
      '    script: "function (u, c, cb) { const x = `${HOME}`; cb(null, u, c); }"',
      'actions:',
      '  - name: a',
      '    trigger: post-login',
      '    code: "exports.onExecutePostLogin = async () => `${UNSET_VAR}`;"',
    ].join('\n');
    const doc = parseTenantFile(text, { HOME: '/root' });
    assert.match(String(doc.rules?.[0].script), /`\$\{HOME\}`/);
    assert.match(String(doc.actions?.[0].code), /`\$\{UNSET_VAR\}`/);
  });

  it('substitutes after parsing, so a value cannot inject YAML', () => {
    const evil = 'x"\nclients: [{colour: red}]\nz: "';
    const doc = parseTenantFile('tenant: { friendly_name: "${NAME}" }', { NAME: evil });
    assert.equal(doc.tenant?.friendly_name, evil);
    assert.equal(doc.clients, undefined);
  });

  it('does not look for variables in keys or in non-string values', () => {
    assert.deepEqual(errorsOf('tenant: { "${X}": 1 }', {}), ['tenant.${X}: unknown field']);
  });

  it('reports YAML syntax errors with line and column', () => {
    assert.deepEqual(errorsOf('tenant:\n  friendly_name: Acme\nclients: [\n', {}), [
      'line 4, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    assert.deepEqual(errorsOf('tenant:\n  friendly_name: a\n  friendly_name: b\n', {}), [
      'line 3, column 3: Map keys must be unique',
    ]);
  });

  it('rejects an empty file and a top level that is not a mapping', () => {
    assert.deepEqual(errorsOf('', {}), ['(top level): the tenant file is empty']);
    assert.deepEqual(errorsOf('- a\n- b\n', {}), ['(top level): must be a mapping']);
  });
});
