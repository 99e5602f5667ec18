import type { DatabaseConnection, Dialect, Driver } from 'kysely';

// The contract's error classes live in errors/ (the ground floor); the driver mapping stays here.
import { NulInText, UniqueViolation, ValueTooLong } from '../errors/store.js';

export { NulInText, StoreError, UniqueViolation, ValueTooLong } from '../errors/store.js';

/** The contract's error for a driver error, or the driver error itself. */
export function toStoreError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { code?: unknown; table?: string; detail?: string };
  // better-sqlite3: SqliteError, code SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY.
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: users.connection_id, users.email_lower"
    // (an index on expressions says "… failed: index 'name'" instead).
    const m = /constraint failed: (.*)$/.exec(e.message);
    const cols = (m?.[1] ?? '').split(',').map((c) => c.trim());
    if (!cols.every((c) => /^[^.\s']+\.[^.\s']+$/.test(c)))
      return new UniqueViolation('', [], { cause: err });
    return new UniqueViolation(
      cols[0]!.split('.')[0]!,
      cols.map((c) => c.slice(c.indexOf('.') + 1)),
      { cause: err },
    );
  }
  // pg: DatabaseError with the SQLSTATE as code.
  if (e.code === '23505') {
    const m = /^Key \((.*?)\)=/.exec(e.detail ?? '');
    const columns = m ? m[1]!.split(',').map((c) => c.trim().replace(/^"|"$/g, '')) : [];
    return new UniqueViolation(e.table ?? '', columns, { cause: err });
  }
  if (e.code === '22021' && /0x00/.test(e.message)) return new NulInText({ cause: err });
  if (e.code === '22001') {
    const m = /varying\((\d+)\)/.exec(e.message);
    return new ValueTooLong(m ? Number(m[1]) : undefined, { cause: err });
  }
  return err;
}

const patched = new WeakSet<object>();

/**
 * The dialect, its driver's connections raising the contract's errors
 * (`toStoreError`) from every statement, in transactions too.
 */
export function withStoreErrors<D extends Dialect>(dialect: D): D {
  const createDriver = dialect.createDriver.bind(dialect);
  dialect.createDriver = (): Driver => {
    const driver = createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = async () => patchConnection(await acquire());
    return driver;
  };
  return dialect;
}

// Patched in place (once per connection), not wrapped: the driver gets its own
// connection object back on release and in transactions.
function patchConnection(conn: DatabaseConnection): DatabaseConnection {
  if (patched.has(conn)) return conn;
  patched.add(conn);
  const execute = conn.executeQuery.bind(conn);
  conn.executeQuery = async (query) => {
    try {
      return await execute(query);
    } catch (err) {
      throw toStoreError(err);
    }
  };
  return conn;
}
