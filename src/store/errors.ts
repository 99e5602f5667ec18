import type { DatabaseConnection, Dialect, Driver } from 'kysely';

/**
 * The errors of the storage contract, the same on SQLite and PostgreSQL.
 * The drivers' own errors differ in class, code and message (SQLite's
 * `SqliteError` `SQLITE_CONSTRAINT_UNIQUE` "UNIQUE constraint failed: t.c",
 * pg's `DatabaseError` `23505` "duplicate key value violates unique
 * constraint …"); `withStoreErrors` turns those the contract names into
 * these, the driver's error kept as `cause`. Every other error passes as is.
 */
export class StoreError extends Error {
  /** A stable code, as jose's `ERR_JWT_EXPIRED`. */
  readonly code: string = 'ERR_STORE';
}

/** An INSERT or UPDATE would give two rows the same primary or unique key. */
export class UniqueViolation extends StoreError {
  override readonly code = 'ERR_STORE_UNIQUE';
  constructor(
    /** The table, as the schema names it. */
    readonly table: string,
    /** The key's columns, in the key's order (empty when the driver did not say). */
    readonly columns: string[],
    options?: ErrorOptions,
  ) {
    // The key's values stay out of the message (they may be an email address).
    super(`unique key violated: ${table}(${columns.join(', ')})`, options);
    this.name = 'UniqueViolation';
  }
}

/**
 * A string holds NUL (U+0000), which the contract excludes. PostgreSQL's
 * text types cannot hold it and reject the whole statement, reads included;
 * SQLite stores it (and a read by it finds nothing). Callers refuse NUL at
 * the edge; this keeps a slip a clear error rather than a driver's.
 */
export class NulInText extends StoreError {
  override readonly code = 'ERR_STORE_NUL';
  constructor(options?: ErrorOptions) {
    super('a string given to the store must not contain NUL (U+0000)', options);
    this.name = 'NulInText';
  }
}

/**
 * A string is longer than its `varchar(n)` column. Only PostgreSQL enforces
 * the lengths; SQLite stores any length.
 */
export class ValueTooLong extends StoreError {
  override readonly code = 'ERR_STORE_TOO_LONG';
  constructor(
    readonly limit: number | undefined,
    options?: ErrorOptions,
  ) {
    super(`a stored string is longer than its column allows${limit ? ` (${limit})` : ''}`, options);
    this.name = 'ValueTooLong';
  }
}

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
