import type { Generated } from 'kysely';

/**
 * Database schema types shared by both dialects. JSON columns are stored as
 * text and booleans as 0/1 integers so one set of migrations serves SQLite
 * and PostgreSQL alike; times are epoch milliseconds.
 */
export interface Database {
  settings: SettingsTable;
  connections: ConnectionsTable;
  resource_servers: ResourceServersTable;
  clients: ClientsTable;
  users: UsersTable;
  signing_keys: SigningKeysTable;
  events: EventsTable;
  refresh_tokens: RefreshTokensTable;
  outbox: OutboxTable;
  mfa_authenticators: MfaAuthenticatorsTable;
  mfa_transactions: MfaTransactionsTable;
  mfa_challenges: MfaChallengesTable;
  mfa_attempts: MfaAttemptsTable;
  mfa_oob_sends: MfaOobSendsTable;
  protection_blocks: ProtectionBlocksTable;
  protection_tickets: ProtectionTicketsTable;
  protection_leaks: ProtectionLeaksTable;
  roles: RolesTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  user_permissions: UserPermissionsTable;
  identity_tickets: IdentityTicketsTable;
  password_history: PasswordHistoryTable;
  jobs: JobsTable;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface ConnectionsTable {
  id: string;
  name: string;
  strategy: string;
  config: string;
  created_at: number;
  updated_at: number;
}

export interface ResourceServersTable {
  id: string;
  identifier: string;
  config: string;
  created_at: number;
  updated_at: number;
}

export interface ClientsTable {
  client_id: string;
  secret_hash: string | null;
  config: string;
  created_at: number;
  updated_at: number;
}

export interface UsersTable {
  id: string;
  connection_id: string;
  email: string | null;
  email_lower: string | null;
  username: string | null;
  username_lower: string | null;
  password_hash: string | null;
  /** The hash's algorithm and cost parameters (hash-profile.ts), derived on every write. */
  hash_profile: string | null;
  email_verified: number;
  blocked: number;
  profile: string;
  app_metadata: string;
  user_metadata: string;
  logins_count: number;
  last_login: number | null;
  created_at: number;
  updated_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_enc: string;
  created_at: number;
  /** Published in the JWKS from creation; used for signing from this time. */
  activates_at: number;
  /** No longer used for signing from this time (null: still current). */
  retired_at: number | null;
  /** Removed from the JWKS from this time: every token it signed has expired. */
  drop_at: number | null;
}

export interface EventsTable {
  seq: Generated<number>;
  id: string;
  date: number;
  type: string;
  description: string | null;
  client_id: string | null;
  client_name: string | null;
  connection: string | null;
  connection_id: string | null;
  user_id: string | null;
  user_name: string | null;
  ip: string | null;
  client_ip: string | null;
  user_agent: string | null;
  details: string | null;
}

export interface RefreshTokensTable {
  id: string;
  /** SHA-256 of the token: the token itself is never stored. */
  token_hash: string;
  family_id: string;
  client_id: string;
  user_id: string;
  connection_id: string;
  audience: string | null;
  scope: string;
  created_at: number;
  /** The first login of the family: the absolute lifetime counts from here. */
  family_created_at: number;
  last_used_at: number;
  expires_at: number | null;
  idle_expires_at: number | null;
  /** When this token was exchanged for its successor (rotation). */
  rotated_at: number | null;
  replaced_by: string | null;
  revoked_at: number | null;
  /** The successor, sealed with TESSERA_SECRET, while an exact retry may get it again. */
  successor_enc: string | null;
  /** The token this one replaced (null: the family's first). */
  parent_id: string | null;
}

export interface OutboxTable {
  id: string;
  channel: string;
  recipient: string;
  subject: string | null;
  /** Sealed with the server secret (SecretBox) when `sealed` is 1. */
  body: string;
  created_at: number;
  /** When the code or link in the message stops working; the purge deletes it then (null: retention). */
  expires_at: number | null;
  sealed: number;
}

export interface MfaAuthenticatorsTable {
  /** `totp|dev_…`, `sms|dev_…`, `email|dev_…`, `recovery-code|dev_…`. */
  id: string;
  user_id: string;
  /** otp | sms | email | recovery-code */
  type: string;
  /** Phone number or email address for OOB factors. */
  name: string | null;
  /** The TOTP secret, sealed with TESSERA_SECRET. */
  secret_enc: string | null;
  /** The recovery code's hash. */
  code_hash: string | null;
  /** 0 until the first successful MFA grant after enrolment confirms it. */
  active: number;
  /** The last TOTP time step accepted: a code is good once. */
  last_step: number;
  created_at: number;
  /** The MFA transaction that enrolled it, the only one that may confirm it (none: added by an admin). */
  enrolled_in?: string | null;
}

export interface MfaTransactionsTable {
  id: string;
  /** Hash of the mfa_token. */
  token_hash: string;
  user_id: string;
  client_id: string;
  /** The pending login (JSON): what the password grant would have answered. */
  login: string;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
  /** SMS and email codes sent for this login (capped per mfa_token). */
  oob_sends?: number;
}

export interface MfaChallengesTable {
  id: string;
  /** Hash of the oob_code handed to the client. */
  oob_hash: string;
  transaction_id: string;
  authenticator_id: string;
  /** Hash of the 6-digit code sent to the user. */
  binding_hash: string;
  created_at: number;
  expires_at: number;
  last_poll_at: number | null;
  used_at: number | null;
}

/** When a user was last sent an SMS or email code (at most one per interval). */
export interface MfaOobSendsTable {
  user_id: string;
  last_sent_at: number;
}

export interface MfaAttemptsTable {
  user_id: string;
  tokens: number;
  updated_at: number;
}

/** A brute-force block (`user`: an identifier, from one IP or any) or a throttled IP (`ip`). */
export interface ProtectionBlocksTable {
  /** A hash of what is blocked (see protection/block-ids.ts). */
  id: string;
  kind: 'user' | 'ip';
  connection_id: string | null;
  /** The lower-cased username or email typed at login. */
  identifier: string | null;
  /** The user the identifier named at the time, if any. */
  user_id: string | null;
  ip: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  /** IP throttles end when the bucket refills; brute-force blocks last until lifted (null). */
  expires_at: number | null;
  /** Set by a lift (admin, link, password change); the server then resets the counter and drops the row. */
  lifted_at: number | null;
  notified_at: number | null;
}

/** Unblock tickets already used (single use). */
export interface ProtectionTicketsTable {
  id: string;
  used_at: number;
  expires_at: number;
}

/** Users whose password was found in the breached-password corpus, until it changes. */
export interface ProtectionLeaksTable {
  user_id: string;
  /** SHA-256 of the password hash at detection: a new password has another. */
  hash_fingerprint: string;
  detected_at: number;
}

export interface RolesTable {
  id: string;
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export interface RolePermissionsTable {
  role_id: string;
  resource_server_id: string;
  permission_name: string;
}

export interface UserRolesTable {
  user_id: string;
  role_id: string;
}

export interface UserPermissionsTable {
  user_id: string;
  resource_server_id: string;
  permission_name: string;
}

/** One reset or verification link (migration 0013); only the SHA-256 of the ticket is stored. */
export interface IdentityTicketsTable {
  id: string;
  hash: string;
  kind: 'reset' | 'verify';
  user_id: string;
  connection_id: string;
  /** The address the link was sent to (a verification link verifies that address only). */
  email: string | null;
  /** SHA-256 of the user's password hash when issued: any later password change kills the ticket. */
  password_fp: string;
  client_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** Where the page sends the user afterwards (a Management API ticket's `result_url`; migration 0021). */
  result_url?: string | null;
  /** Whether a password change marks the email verified: 1, 0, or null (yes when the address matches). */
  mark_verified?: number | null;
}

/** A password hash a user had before (migration 0013), for the policy's password history. */
export interface PasswordHistoryTable {
  id: string;
  user_id: string;
  password_hash: string;
  created_at: number;
}

/** A Management API job (migration 0021); JSON fields are text. */
export interface JobsTable {
  id: string;
  type: string;
  status: 'pending' | 'processing' | 'completed' | 'failed';
  client_id: string | null;
  connection_id: string | null;
  connection: string | null;
  payload: string | null;
  summary: string | null;
  errors: string | null;
  created_at: number;
  updated_at: number;
}
