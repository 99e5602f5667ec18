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
}

export interface OutboxTable {
  id: string;
  channel: string;
  recipient: string;
  subject: string | null;
  body: string;
  created_at: number;
}
