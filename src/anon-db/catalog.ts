// What pre-flight and the scan need to know of a database's columns, read from its catalog with
// read access only (nothing installed, nothing written): types and lengths, NOT NULL, UNIQUE,
// foreign keys, and row estimates.
import type { Sql } from 'postgres';
import type { ColumnInfo } from '../anon/index.ts';

/** Every column of the ordinary and partitioned tables outside the system schemas. */
export async function readColumns(sql: Sql): Promise<ColumnInfo[]> {
  const rows = await sql`
    select n.nspname as schema, c.relname as "table", a.attname as column,
      format_type(a.atttypid, null) as type,
      case when a.atttypmod > 4 and t.typname in ('varchar', 'bpchar') then a.atttypmod - 4 end as max_length,
      a.attnotnull as not_null,
      exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisunique and a.attnum = any(i.indkey::int2[])) as unique,
      exists (select 1 from pg_constraint f where f.contype = 'f' and ((f.conrelid = c.oid and a.attnum = any(f.conkey)) or (f.confrelid = c.oid and a.attnum = any(f.confkey)))) as foreign_key,
      -- -1: never analyzed (PostgreSQL 14+); unknown, not zero
      case when c.reltuples < 0 then null else c.reltuples end::float8 as rows
    from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      join pg_type t on t.oid = a.atttypid
    where c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
      and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
      and not c.relispartition
    order by 1, 2, a.attnum`;
  return rows.map((r) => ({
    schema: r.schema as string, table: r.table as string, column: r.column as string, type: r.type as string,
    maxLength: (r.max_length as number | null) ?? null, notNull: r.not_null as boolean, unique: r.unique as boolean,
    foreignKey: r.foreign_key as boolean, ...(r.rows === null ? {} : { rows: r.rows as number }),
  }));
}
