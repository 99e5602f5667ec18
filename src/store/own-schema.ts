import { type DatabaseIntrospector, type Kysely, sql, type TableMetadata } from 'kysely';

/**
 * An introspector that sees the tables of one PostgreSQL schema only: the
 * connection's `current_schema()`, where its unqualified CREATE TABLE lands
 * (the store's schema, or the first of the default search_path). Kysely's
 * migrator asks it whether its bookkeeping tables exist. Kysely's own
 * introspector lists every schema of the database: another application's
 * `kysely_migration` in a schema of its own was then taken for Tessera's
 * (the start failed: "relation kysely_migration does not exist"), and a
 * schema someone dropped during the listing failed it ("schema … does not
 * exist"). The tables it gives carry no columns: only the migrator reads it.
 */
export class OwnSchemaIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<any>,
    private readonly inner: DatabaseIntrospector,
  ) {}

  getSchemas() {
    return this.inner.getSchemas();
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; is_view: boolean }>`
      SELECT c.relname AS name, ns.nspname AS schema, c.relkind = 'v' AS is_view
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
      WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p')
      ORDER BY c.relname`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.is_view, columns: [] }));
  }

  async getMetadata() {
    return { tables: await this.getTables() };
  }
}

/**
 * `db` as Kysely's migrator should see it on PostgreSQL: the same database,
 * its `introspection` limited to the store's own schema (OwnSchemaIntrospector).
 */
export function ownSchemaView<DB>(db: Kysely<DB>): Kysely<DB> {
  const introspection = new OwnSchemaIntrospector(db as Kysely<any>, db.introspection);
  return new Proxy(db, {
    get(target, key) {
      if (key === 'introspection') return introspection;
      // Kysely's methods read private fields: they must run on the instance itself.
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
