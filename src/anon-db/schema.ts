// A source database's schema as SQL, read from its catalog with the server's own pg_get_*def
// functions: no pg_dump needed, so any source major from 13 to 18 works with any client. The
// statements come in two parts, as pg_dump's sections do: what the data needs (pre-data: schemas,
// extensions, types, sequences, functions, tables) and what comes after it (post-data: keys,
// CHECK and foreign-key constraints, indexes, views, triggers, sequence ownership), so the data
// loads into bare tables and every constraint is checked once, on the masked rows.
//
// Left out, and said so in docs/anon.md: owners, grants, row-level security policies, comments,
// publications and subscriptions, event triggers, foreign tables, range types and casts.
import type { Sql } from 'postgres';

/** One table whose rows are copied (a plain table or a leaf partition). */
export interface CopyTable {
  schema: string;
  name: string;
  /** The columns COPY reads and writes: all but generated ones, in order. */
  columns: { name: string; type: string }[];
  /** Size on disk (heap and TOAST), for ordering and progress. */
  bytes: number;
  /** The planner's row estimate (0 when never analyzed). */
  rows: number;
  /** A partition's partitioned table at the top: the dictionary names that one. */
  root?: { schema: string; name: string };
  /** A partition's columns that are a partition key at some level above it (rows are routed by them). */
  partitionKeys?: string[];
}

export interface SourceSchema {
  pre: string[];
  post: string[];
  tables: CopyTable[];
  /** Sequences and the value each is set to after the data. */
  sequences: { schema: string; name: string; last: string | null; called: boolean }[];
}

/** An identifier, quoted. */
export const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
export const qualified = (schema: string, name: string): string => `${q(schema)}.${q(name)}`;
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Schemas of the user's objects: not the system's, not those of extensions' own objects, not ours. */
const USER_NS = `n.nspname not in ('pg_catalog', 'information_schema', 'pgfleet_anon') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;
/** Objects that belong to an extension are created by CREATE EXTENSION, not by us. */
const notExt = (classid: string, oid: string): string => `not exists (select 1 from pg_depend d where d.classid = '${classid}'::regclass and d.objid = ${oid} and d.deptype = 'e')`;

/** Reads the schema inside the caller's (snapshot) transaction. */
export async function readSchema(sql: Sql): Promise<SourceSchema> {
  const pre: string[] = [];
  const post: string[] = [];

  const schemas = await sql.unsafe(`select n.nspname from pg_namespace n where ${USER_NS} and n.nspname <> 'public' and ${notExt('pg_namespace', 'n.oid')} order by 1`);
  for (const s of schemas) pre.push(`create schema if not exists ${q(s.nspname as string)}`);

  const exts = await sql.unsafe(`select e.extname, n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname <> 'plpgsql' order by 1`);
  for (const e of exts) pre.push(`create extension if not exists ${q(e.extname as string)} with schema ${q(e.nspname as string)}`);

  const enums = await sql.unsafe(`
    select n.nspname, t.typname, array_agg(e.enumlabel order by e.enumsortorder)::text[] as labels
    from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_enum e on e.enumtypid = t.oid
    where ${USER_NS} and ${notExt('pg_type', 't.oid')} group by 1, 2, t.oid order by t.oid`);
  for (const e of enums) pre.push(`create type ${qualified(e.nspname, e.typname)} as enum (${(e.labels as string[]).map(lit).join(', ')})`);

  const composites = await sql.unsafe(`
    select n.nspname, t.typname, string_agg(${"quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)"}, ', ' order by a.attnum) as cols
    from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_class c on c.oid = t.typrelid join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relkind = 'c' and ${USER_NS} and ${notExt('pg_type', 't.oid')} group by 1, 2, t.oid order by t.oid`);
  for (const c of composites) pre.push(`create type ${qualified(c.nspname, c.typname)} as (${c.cols})`);

  const domains = await sql.unsafe(`
    select n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod) as base, t.typnotnull, t.typdefault,
      coalesce((select string_agg(' constraint ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid), '' order by k.oid) from pg_constraint k where k.contypid = t.oid and k.contype = 'c'), '') as checks
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where t.typtype = 'd' and ${USER_NS} and ${notExt('pg_type', 't.oid')} order by t.oid`);
  for (const d of domains) {
    pre.push(`create domain ${qualified(d.nspname, d.typname)} as ${d.base}${d.typdefault ? ` default ${d.typdefault}` : ''}${d.typnotnull ? ' not null' : ''}${d.checks}`);
  }

  // Sequences that are not identity columns' (those come with their column).
  const seqs = await sql.unsafe(`
    select n.nspname, c.relname, format_type(s.seqtypid, null) as type, s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle,
      exists (select 1 from pg_depend d where d.objid = c.oid and d.classid = 'pg_class'::regclass and d.deptype = 'i') as identity
    from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
    where ${USER_NS} and ${notExt('pg_class', 'c.oid')} order by c.oid`);
  const sequences: SourceSchema['sequences'] = [];
  for (const s of seqs) {
    // A sequence's current value is not transactional: read it as it is now.
    const [v] = await sql.unsafe(`select last_value::text as last, is_called from ${qualified(s.nspname, s.relname)}`);
    sequences.push({ schema: s.nspname, name: s.relname, last: v.last as string, called: v.is_called as boolean });
    if (s.identity) continue;
    pre.push(`create sequence ${qualified(s.nspname, s.relname)} as ${s.type} increment by ${s.seqincrement} minvalue ${s.seqmin} maxvalue ${s.seqmax} start with ${s.seqstart} cache ${s.seqcache}${s.seqcycle ? ' cycle' : ''}`);
  }

  // Functions and procedures first (with check_function_bodies off on the target): defaults,
  // CHECK constraints and triggers may call them.
  const fns = await sql.unsafe(`
    select pg_get_functiondef(p.oid) as def from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where ${USER_NS} and p.prokind in ('f', 'p') and ${notExt('pg_proc', 'p.oid')} order by p.oid`);
  for (const f of fns) pre.push(f.def as string);

  const rels = await sql.unsafe(`
    select c.oid::int8::text as oid, n.nspname, c.relname, c.relkind, c.relispartition, c.relpersistence,
      case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partkey,
      case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as bound,
      (select qualified from (select quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) as qualified from pg_inherits i join pg_class pc on pc.oid = i.inhparent join pg_namespace pn on pn.oid = pc.relnamespace where i.inhrelid = c.oid) x) as parent,
      pg_table_size(c.oid)::float8 as bytes, greatest(c.reltuples, 0)::float8 as rows,
      case when c.relispartition then (select rn.nspname from pg_class rc join pg_namespace rn on rn.oid = rc.relnamespace where rc.oid = pg_partition_root(c.oid)) end as root_schema,
      case when c.relispartition then (select relname from pg_class where oid = pg_partition_root(c.oid)) end as root_name,
      case when c.relispartition then (select string_agg(distinct a.attname, chr(31)) from pg_partition_ancestors(c.oid) anc
        join pg_partitioned_table pt on pt.partrelid = anc.relid cross join lateral unnest(pt.partattrs::int2[]) k(attnum)
        join pg_attribute a on a.attrelid = pt.partrelid and a.attnum = k.attnum) end as partition_keys
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and ${USER_NS} and ${notExt('pg_class', 'c.oid')}
    order by c.relispartition, c.oid`);
  const cols = await sql.unsafe(`
    select a.attrelid::int8::text as oid, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull, a.attidentity, a.attgenerated,
      pg_get_expr(d.adbin, d.adrelid) as def,
      case when a.attcollation <> t.typcollation and a.attcollation <> 0 then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation) end as collation,
      exists (select 1 from pg_attribute pa join pg_inherits i on i.inhparent = pa.attrelid where i.inhrelid = a.attrelid and pa.attname = a.attname) as inherited
    from pg_attribute a join pg_type t on t.oid = a.atttypid left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p') and ${USER_NS}
    order by a.attrelid, a.attnum`);
  const colsOf = new Map<string, (typeof cols)[number][]>();
  for (const c of cols) { const l = colsOf.get(c.oid) ?? []; l.push(c); colsOf.set(c.oid, l); }

  const tables: CopyTable[] = [];
  for (const r of rels) {
    const name = qualified(r.nspname, r.relname);
    const own = colsOf.get(r.oid) ?? [];
    const unlogged = r.relpersistence === 'u' ? 'unlogged ' : '';
    if (r.relispartition && r.parent) {
      pre.push(`create ${unlogged}table ${name} partition of ${r.parent} ${r.bound}${r.partkey ? ` partition by ${r.partkey}` : ''}`);
    } else {
      const defs = own.map((c) => {
        let d = `${q(c.attname)} ${c.type}${c.collation ? ` collate ${c.collation}` : ''}`;
        if (c.attgenerated === 's') d += ` generated always as (${c.def}) stored`;
        else if (c.attgenerated === 'v') d += ` generated always as (${c.def}) virtual`;
        else if (c.attidentity) d += ` generated ${c.attidentity === 'a' ? 'always' : 'by default'} as identity`;
        else if (c.def !== null) d += ` default ${c.def}`;
        if (c.attnotnull) d += ' not null';
        return d;
      });
      pre.push(`create ${unlogged}table ${name} (${defs.join(', ')})${r.partkey ? ` partition by ${r.partkey}` : ''}`);
    }
    // A partition's own defaults differ from its parent's only rarely; NOT NULL is inherited.
    if (r.relkind === 'r') {
      tables.push({ schema: r.nspname, name: r.relname, columns: own.filter((c) => c.attgenerated !== 's' && c.attgenerated !== 'v').map((c) => ({ name: c.attname, type: c.type })), bytes: r.bytes, rows: r.rows, ...(r.root_name ? { root: { schema: r.root_schema, name: r.root_name } } : {}),
        ...(r.partition_keys ? { partitionKeys: (r.partition_keys as string).split('\u001f') } : {}) });
    }
  }

  // Keys first, CHECK and exclusion constraints, then the other indexes (a foreign key may reference
  // a unique index), then foreign keys; a partition's inherited constraints come with its parent's.
  const cons = await sql.unsafe(`
    select n.nspname, c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) as def
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
    where k.contype in ('p', 'u', 'c', 'x', 'f') and ${USER_NS} and ${notExt('pg_class', 'c.oid')} and k.conislocal and k.conparentid = 0
    order by case k.contype when 'p' then 0 when 'u' then 1 when 'x' then 2 when 'c' then 3 else 4 end, k.oid`);
  const constraint = (k: (typeof cons)[number]): string => `alter table ${qualified(k.nspname, k.relname)} add constraint ${q(k.conname)} ${k.def}`;
  for (const k of cons) if (k.contype !== 'f') post.push(constraint(k));

  const idx = await sql.unsafe(`
    select pg_get_indexdef(i.indexrelid) as def from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
    where t.relkind in ('r', 'p') and ${USER_NS} and ${notExt('pg_class', 't.oid')} and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))
      and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)
    order by c.oid`);
  // A partitioned table's index reads "ON ONLY parent" (its partitions' indexes attached later);
  // without ONLY it is built on every partition at once.
  for (const i of idx) post.push((i.def as string).replace(/ ON ONLY /, ' ON '));
  for (const k of cons) if (k.contype === 'f') post.push(constraint(k));

  const views = await sql.unsafe(`
    select n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid) as def from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('v', 'm') and ${USER_NS} and ${notExt('pg_class', 'c.oid')} order by c.oid`);
  for (const v of views) {
    post.push(v.relkind === 'v' ? `create view ${qualified(v.nspname, v.relname)} as ${(v.def as string).replace(/;\s*$/, '')}`
      : `create materialized view ${qualified(v.nspname, v.relname)} as ${(v.def as string).replace(/;\s*$/, '')} with data`);
  }
  const matIdx = await sql.unsafe(`
    select pg_get_indexdef(i.indexrelid) as def from pg_index i join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
    where t.relkind = 'm' and ${USER_NS} order by i.indexrelid`);
  for (const i of matIdx) post.push(i.def as string);

  const trg = await sql.unsafe(`
    select pg_get_triggerdef(g.oid) as def from pg_trigger g join pg_class c on c.oid = g.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where not g.tgisinternal and g.tgparentid = 0 and ${USER_NS} and ${notExt('pg_class', 'c.oid')} order by g.oid`);
  for (const t of trg) post.push(t.def as string);

  const owned = await sql.unsafe(`
    select sn.nspname as sschema, s.relname as seq, tn.nspname as tschema, t.relname as tbl, a.attname
    from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S' join pg_namespace sn on sn.oid = s.relnamespace
      join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
    where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype = 'a' and ${USER_NS.replace(/n\./g, 'sn.')}`);
  for (const o of owned) post.push(`alter sequence ${qualified(o.sschema, o.seq)} owned by ${qualified(o.tschema, o.tbl)}.${q(o.attname)}`);

  return { pre, post, tables, sequences };
}

/** The statement that sets a sequence as the source had it (after the data). */
export function setvalStatement(s: SourceSchema['sequences'][number]): string | undefined {
  if (s.last === null) return undefined;
  return `select setval(${lit(qualified(s.schema, s.name))}, ${s.last}, ${s.called})`;
}

/** Foreign keys between copied tables: for subsets and for the scan's propagation. */
export interface ForeignKey {
  schema: string; table: string; columns: string[];
  refSchema: string; refTable: string; refColumns: string[];
}

export async function readForeignKeys(sql: Sql): Promise<ForeignKey[]> {
  const rows = await sql.unsafe(`
    select n.nspname as schema, c.relname as "table", rn.nspname as ref_schema, rc.relname as ref_table,
      (select array_agg(a.attname order by u.i)::text[] from unnest(k.conkey) with ordinality u(n, i) join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n) as columns,
      (select array_agg(a.attname order by u.i)::text[] from unnest(k.confkey) with ordinality u(n, i) join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n) as ref_columns
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_class rc on rc.oid = k.confrelid join pg_namespace rn on rn.oid = rc.relnamespace
    where k.contype = 'f' and k.conparentid = 0 and ${USER_NS} order by k.oid`);
  return rows.map((r) => ({ schema: r.schema, table: r.table, columns: r.columns, refSchema: r.ref_schema, refTable: r.ref_table, refColumns: r.ref_columns }));
}
