import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-refresh-tokens.js';
import * as m0003 from './0003-outbox.js';
import * as m0005 from './0005-mfa.js';
import * as m0006 from './0006-protection.js';
import * as m0007 from './0007-mfa-enrolment-binding.js';
import * as m0008 from './0008-mfa-send-limits.js';
import * as m0009 from './0009-refresh-retry.js';
import * as m0010 from './0010-hash-profile.js';
import * as m0011 from './0011-retention.js';
import * as m0012 from './0012-outbox-sealed.js';
import * as m0013 from './0013-tickets.js';
import * as m0014 from './0014-rbac.js';
import * as m0021 from './0021-jobs.js';
import * as m0022 from './0022-partial-retention.js';

/** Every migration, in order. A new migration is a new file listed here. */
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-refresh-tokens': m0002,
  '0003-outbox': m0003,
  '0005-mfa': m0005,
  '0006-protection': m0006,
  '0007-mfa-enrolment-binding': m0007,
  '0008-mfa-send-limits': m0008,
  '0009-refresh-retry': m0009,
  '0010-hash-profile': m0010,
  '0011-retention': m0011,
  '0012-outbox-sealed': m0012,
  '0013-tickets': m0013,
  '0014-rbac': m0014,
  '0021-jobs': m0021,
  '0022-partial-retention': m0022,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
