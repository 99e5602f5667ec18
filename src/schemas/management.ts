/**
 * The built-in Management API (`<issuer>api/v2/`, spec section 11): its
 * audience and Auth0's scopes for it. Defined here, at the bottom, because
 * the tenant file's checks, the token grants and the API itself all need them.
 */

const crud = (...things: string[]) =>
  things.flatMap((t) => [`read:${t}`, `create:${t}`, `update:${t}`, `delete:${t}`]);

/** Auth0's Management API scopes that Tessera knows (a client grant may name only these). */
export const MANAGEMENT_SCOPES: readonly string[] = [
  ...crud(
    'users',
    'users_app_metadata',
    'clients',
    'client_grants',
    'connections',
    'resource_servers',
    'rules',
    'actions',
    'roles',
    'email_templates',
    'authentication_methods',
    'role_members',
  ),
  'read:triggers',
  'update:triggers',
  'create:user_tickets',
  'read:client_keys',
  'read:rules_configs',
  'update:rules_configs',
  'delete:rules_configs',
  'read:tenant_settings',
  'update:tenant_settings',
  'read:logs',
  'read:logs_users',
  'read:stats',
  'read:anomaly_blocks',
  'delete:anomaly_blocks',
  'read:guardian_factors',
  'update:guardian_factors',
  'read:guardian_enrollments',
  'delete:guardian_enrollments',
  'read:mfa_policies',
  'update:mfa_policies',
  'read:attack_protection',
  'update:attack_protection',
  'read:signing_keys',
  'create:signing_keys',
  'update:signing_keys',
];

/** The Management API's audience for an issuer (which ends with `/`). */
export function managementAudience(issuer: string): string {
  return `${issuer}api/v2/`;
}

/**
 * True for what can be some issuer's Management API audience
 * (`http(s)://host[/path]/api/v2/`): the tenant file is checked without
 * knowing the issuer the server will run with.
 */
export function isManagementAudience(audience: string): boolean {
  return /^https?:\/\/[^/?#]+(\/[^?#]*)?\/api\/v2\/$/.test(audience);
}
