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
