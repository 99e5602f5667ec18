import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referenceErrors } from '../../src/tenant/references.js';
import { type TenantDoc, TenantFileError, validateTenant } from '../../src/tenant/schema.js';
import { docErrors, errorsOf, example, exampleText } from './helpers.js';

/** The example with one change made by `edit`. */
function edited(edit: (doc: any) => void): TenantDoc {
  const doc = example();
  edit(doc);
  return doc;
}

describe('tenant file validation', () => {
  it('accepts the example, and validateTenant returns it unchanged', () => {
    const doc = example();
    assert.equal(validateTenant(doc), doc);
  });

  it('rejects an unknown field anywhere, naming its path', () => {
    assert.deepEqual(
      docErrors(
        edited((d) => {
          d.clients[0].colour = 'red';
          d.connections[0].options.pasword_policy = 'good';
          d.resourceServers[0].scopes[1].descripton = 'x';
          d.tenant.flags = {};
          d.rulez = [];
        }),
      ),
      [
        'rulez: unknown field',
        'tenant.flags: unknown field',
        'connections[0].options.pasword_policy: unknown field',
        'resourceServers[0].scopes[1].descripton: unknown field',
        'clients[0].colour: unknown field',
      ],
    );
  });

  it('rejects a bad enum value with a message for each kind', () => {
    assert.deepEqual(
      docErrors(
        edited((d) => {
          d.clients[1].grant_types[0] = 'pasword';
          d.connections[0].strategy = 'ldap';
          d.clients[0].app_type = 'web';
          d.connections[0].options.password_policy = 'strong';
          d.actions[0].trigger = 'pre-user-registration';
        }),
      ),
      [
        'connections[0].strategy: unsupported strategy "ldap": only "auth0" (database) is supported',
        'connections[0].options.password_policy: must be one of "none", "low", "fair", "good", "excellent" (got "strong")',
        'clients[0].app_type: must be one of "regular_web", "non_interactive", "spa", "native" (got "web")',
        'clients[1].grant_types[0]: unknown grant type "pasword"',
        'actions[0].trigger: unsupported trigger "pre-user-registration": only "post-login" is supported',
      ],
    );
  });

  it('rejects wrong types and out-of-range integers', () => {
    for (const bad of [0, 2592001, 1.5, '86400']) {
      assert.deepEqual(
        docErrors(
          edited((d) => {
            d.resourceServers[0].token_lifetime = bad;
          }),
        ),
        ['resourceServers[0].token_lifetime: must be an integer between 1 and 2592000'],
      );
    }
    assert.deepEqual(
      docErrors(
        edited((d) => {
          d.clients[0].is_first_party = 'yes';
          d.connections[1].enabled_clients = 'acme-web';
          d.users[0].app_metadata = ['admin'];
          d.users[0].name = 42;
          d.clients[0].client_metadata = { tier: 1 };
          d.guardian = null;
        }),
      ),
      [
        'connections[1].enabled_clients: must be a list',
        'clients[0].is_first_party: must be true or false',
        'clients[0].client_metadata.tier: must be a string',
        'users[0].name: must be a string',
        'users[0].app_metadata: must be a mapping',
        'guardian: must be a mapping',
      ],
    );
  });

  it('rejects a missing required field', () => {
    assert.deepEqual(
      docErrors(
        edited((d) => {
          delete d.clients[0].client_id;
          delete d.connections[1].strategy;
          delete d.resourceServers[0].scopes[0].value;
          delete d.users[0].connection;
          delete d.rules[0].script;
        }),
      ),
      [
        'connections[1].strategy: missing required field',
        'resourceServers[0].scopes[0].value: missing required field',
        'clients[0].client_id: missing required field',
        'users[0].connection: missing required field',
        'rules[0].script: missing required field',
      ],
    );
  });

  it('enforces the client secret rules', () => {
    const errors = docErrors(
      edited((d) => {
        d.clients.push(
          {
            name: 'Basic',
            client_id: 'basic',
            token_endpoint_auth_method: 'client_secret_basic',
            grant_types: [],
          },
          {
            name: 'Short',
            client_id: 'short',
            client_secret: 'too-short',
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: [],
          },
        );
        d.clients[1].client_secret = 'a-secret-for-a-public-client';
        d.clients[1].is_token_endpoint_ip_header_trusted = true;
      }),
    );
    assert.deepEqual(errors, [
      'clients[1].client_secret: not allowed when token_endpoint_auth_method is "none"',
      'clients[1].is_token_endpoint_ip_header_trusted: only a confidential client (with a secret) may be trusted',
      'clients[2].client_secret: required when token_endpoint_auth_method is "client_secret_basic"',
      'clients[3].client_secret: must be at least 16 characters',
    ]);
  });

  it('requires an absolute http(s) issuer', () => {
    for (const issuer of ['localhost:3000', '/auth', 'ftp://acme.test/']) {
      assert.deepEqual(docErrors(edited((d) => Object.assign(d.tenant, { issuer }))), [
        'tenant.issuer: must be an absolute http(s) URL',
      ]);
    }
    assert.deepEqual(docErrors(edited((d) => Object.assign(d.tenant, { issuer: 'https://a.test/?x=1' }))), [
      'tenant.issuer: must not have a query or fragment',
    ]);
  });

  it('checks users: exclusive password fields, an identifier, a real imported hash', () => {
    assert.deepEqual(
      docErrors(
        edited((d) => {
          d.users[1].password = 'pw';
          d.users.push({ connection: 'employees', name: 'Nobody' });
          d.users.push({
            connection: 'employees',
            email: 'carol@acme.test',
            custom_password_hash: {
              algorithm: 'argon2',
              hash: { value: d.users[1].custom_password_hash.hash.value },
            },
          });
          d.users.push({ connection: 'employees', email: 'not-an-email' });
        }),
      ),
      [
        'users[1]: password and custom_password_hash are mutually exclusive',
        'users[2]: needs an email or a username',
        'users[3].custom_password_hash.hash.value: not a argon2 hash (expected a $2b$… or $argon2id$… string)',
        'users[4].email: must be an email address',
      ],
    );
    // The example as published has a placeholder hash, which is not a bcrypt hash.
    const published = exampleText.replace(/"\$2b\$10\$[^"]+"/, () => '"$2b$10$..."');
    assert.deepEqual(errorsOf(published), [
      'users[1].custom_password_hash.hash.value: not a bcrypt hash (expected a $2b$… or $argon2id$… string)',
    ]);
  });

  it('rejects duplicates', () => {
    assert.deepEqual(
      docErrors(
        edited((d) => {
          d.connections.push({ name: 'employees', strategy: 'auth0' });
          d.resourceServers.push({ identifier: 'https://api.acme.test/orders' });
          d.resourceServers[0].scopes.push({ value: 'read:orders' });
          d.clients.push({ ...d.clients[1], name: 'Again' });
          d.rules.push({ ...d.rules[0] });
        }),
      ),
      [
        'connections[2].name: duplicate connection name "employees"',
        'resourceServers[0].scopes[2].value: duplicate scope "read:orders"',
        'resourceServers[1].identifier: duplicate identifier "https://api.acme.test/orders"',
        'clients[2].client_id: duplicate client_id "acme-spa"',
        'rules[1].name: duplicate rule name "add-roles"',
      ],
    );
    assert.deepEqual(
      docErrors(
        edited((d) => {
          d.users.push({ connection: 'employees', email: 'BOB@acme.test' });
          d.users.push({
            connection: 'Username-Password-Authentication',
            user_id: 'auth0|alice',
            username: 'al',
          });
          d.users.push({ connection: 'employees', email: 'bob2@acme.test', username: 'al' });
          d.users.push({ connection: 'employees', email: 'bob3@acme.test', username: 'AL' });
        }),
      ),
      [
        'users[2].email: duplicate email "BOB@acme.test" in connection "employees"',
        'users[3].user_id: duplicate user_id "auth0|alice"',
        'users[5].username: duplicate username "AL" in connection "employees"',
      ],
    );
  });

  it('checks references within the file, and to the database when known', () => {
    const doc = edited((d) => {
      d.connections[0].enabled_clients.push('acme-sap');
      d.connections[1].realms = ['staff', 'Username-Password-Authentication'];
      d.users[1].connection = 'employes';
      d.tenant.default_directory = 'nope';
      d.tenant.default_audience = 'https://api.acme.test/order';
    });
    // At parse time only what the file alone proves wrong is an error.
    assert.deepEqual(docErrors(doc), [
      'connections[1].realms[1]: realm "Username-Password-Authentication" is already used by connection "Username-Password-Authentication"',
    ]);
    const known = { connections: ['employes'], clients: [], apis: [] };
    assert.deepEqual(referenceErrors(doc, known), [
      'connections[0].enabled_clients[2]: unknown client "acme-sap"',
      'connections[1].realms[1]: realm "Username-Password-Authentication" is already used by connection "Username-Password-Authentication"',
      'tenant.default_directory: unknown connection "nope"',
      'tenant.default_audience: unknown API "https://api.acme.test/order"',
    ]);
  });

  it('validates the later sections as in the example', () => {
    assert.deepEqual(
      docErrors(
        edited((d) => {
          d.rulesConfigs = [
            { key: 'API_KEY', value: 'k' },
            { key: 'bad key', value: 'v' },
            { key: 'API_KEY', value: 2 },
          ];
          d.clientGrants = [
            {
              client_id: 'acme-web',
              audience: 'https://api.acme.test/orders',
              scope: ['read:orders', 'delete:orders'],
            },
          ];
          d.guardian.factors['push-notification'] = true;
          d.guardian.policies = ['always'];
          d.attackProtection.bruteForceProtection.allowlist = [
            '10.0.0.0/33',
            '192.168.1.1',
            '::1/128',
            'nope',
          ];
          d.attackProtection.bruteForceProtection.max_attempts = 0;
          d.actions[0].secrets.PORT = 25;
        }),
      ),
      [
        'actions[0].secrets.PORT: must be a string',
        'rulesConfigs[1].key: may only contain letters, digits and _-@*+:',
        'rulesConfigs[2].value: must be a string',
        'rulesConfigs[2].key: duplicate key "API_KEY"',
        'guardian.policies[0]: must be one of "all-applications" (got "always")',
        'guardian.factors.push-notification: unknown field',
        'attackProtection.bruteForceProtection.max_attempts: must be an integer between 1 and 100',
        'attackProtection.bruteForceProtection.allowlist[0]: must be an IP address or a CIDR range',
        'attackProtection.bruteForceProtection.allowlist[3]: must be an IP address or a CIDR range',
      ],
    );
    const grants = edited((d) => {
      d.clientGrants = [
        {
          client_id: 'acme-web',
          audience: 'https://api.acme.test/orders',
          scope: ['read:orders', 'delete:orders'],
        },
        { client_id: 'acme-web', audience: 'https://api.acme.test/orders', scope: [] },
      ];
    });
    assert.deepEqual(docErrors(grants), [
      'clientGrants[1]: duplicate grant for client "acme-web" and audience "https://api.acme.test/orders"',
    ]);
    grants.clientGrants!.pop();
    assert.deepEqual(docErrors(grants), [
      'clientGrants[0].scope[1]: scope "delete:orders" is not defined by API "https://api.acme.test/orders"',
    ]);
  });

  it('collects every error into one TenantFileError', () => {
    const doc = edited((d) => {
      d.clients[0].colour = 'red';
      d.clients[1].grant_types[0] = 'pasword';
    });
    assert.throws(
      () => validateTenant(doc),
      (e: unknown) =>
        e instanceof TenantFileError &&
        e.errors.length === 2 &&
        e.message ===
          'clients[0].colour: unknown field\nclients[1].grant_types[0]: unknown grant type "pasword"',
    );
  });
});
