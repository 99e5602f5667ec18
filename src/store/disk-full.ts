/**
 * A full disk is the one storage failure an operator can fix without a
 * developer: name it plainly (SQLite's SQLITE_FULL, PostgreSQL's SQLSTATE
 * 53100 disk_full) instead of the driver's terse text.
 */
export function diskFullMessage(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL') {
    return 'the disk holding the SQLite database is full (SQLITE_FULL): free space on its volume (or raise PRAGMA max_page_count)';
  }
  if (code === '53100') {
    return "the PostgreSQL server's disk is full (SQLSTATE 53100 disk_full): free space on the database server";
  }
  return undefined;
}
