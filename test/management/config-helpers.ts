/** Every Management API scope the configuration endpoints need. */
export const CONFIG_SCOPES = [
  ...['clients', 'connections', 'resource_servers', 'client_grants', 'rules', 'actions'].flatMap((t) => [
    `read:${t}`,
    `create:${t}`,
    `update:${t}`,
    `delete:${t}`,
  ]),
  'read:triggers',
  'update:triggers',
  'read:rules_configs',
  'update:rules_configs',
  'delete:rules_configs',
  'read:tenant_settings',
  'update:tenant_settings',
  'read:attack_protection',
  'update:attack_protection',
  'read:email_templates',
  'create:email_templates',
  'update:email_templates',
  'read:signing_keys',
  'create:signing_keys',
  'update:signing_keys',
];

/** A rule that puts a claim in the access token. */
export const CLAIM_RULE =
  "function (user, context, callback) { context.accessToken['https://acme.test/rule'] = 'ran'; callback(null, user, context); }";
