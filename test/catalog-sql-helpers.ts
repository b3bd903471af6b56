/** What the catalog SQL tests share: the catalog, the monitoring role, running a collector as the agent does, and reading its points. */
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { Value } from '@sinclair/typebox/value';
import { MetricFamily } from '../src/protocol/index.ts';
import { loadCatalog, rowsToFamilies, selectVariant, type CollectorDef } from '../src/catalog/index.ts';

export const catalog = loadCatalog();
export const sqlCollectors = catalog.filter((d) => d.scope !== 'node');
export const MONITOR = 'pgfleet_monitor';
export const asMonitor = (url: string) => url.replace('postgres://postgres@', `postgres://${MONITOR}@`);

/** Whether the SQL names the column as a whole word (as an output or an alias). */
export const mentions = (sql: string, column: string) => new RegExp(`\\b${column}\\b`).test(sql);

/** The point of a family with the given labels, if any. */
export function pointOf(families: MetricFamily[], name: string, labels: Record<string, string> = {}) {
  return families.find((f) => f.name === name)?.points.find((p) => Object.entries(labels).every(([k, v]) => p.l?.[k] === v));
}

/** The value of that point; fails when there is none. */
export function valueOf(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const p = pointOf(families, name, labels);
  assert.ok(p, `${name} ${JSON.stringify(labels)} is missing`);
  return p.v;
}

/** Whether the family has a point with these labels: for columns that exist from some major on. */
export const has = (families: MetricFamily[], name: string, labels: Record<string, string> = {}) => pointOf(families, name, labels) !== undefined;

/** Whether what a collector requires (extension, function, setting) is there, as the agent checks it. */
export async function requirementsMet(sql: postgres.Sql, def: CollectorDef): Promise<boolean> {
  const r = def.requires;
  if (!r) return true;
  if (r.extension && !(await sql`SELECT 1 FROM pg_extension WHERE extname = ${r.extension}`).length) return false;
  if (r.function && !(await sql`SELECT 1 FROM pg_proc WHERE proname = ${r.function}`).length) return false;
  if (r.setting && !(await sql`SELECT 1 FROM pg_settings WHERE name = ${r.setting}`).length) return false;
  return true;
}

/**
 * Checks that hold for a collector on every major; returns the families for
 * collector-specific checks, or undefined when the collector does not run there
 * (no variant for the version, or a requirement missing).
 */
export async function runCollector(sql: postgres.Sql, def: CollectorDef, versionNum: number): Promise<MetricFamily[] | undefined> {
  if (!(await requirementsMet(sql, def))) return undefined;
  const variant = selectVariant(def, versionNum);
  if (!variant) {
    const first = Math.min(...def.variants.map((v) => v.min_version ?? 0));
    assert.ok(versionNum < first, `${def.id}: no variant for ${versionNum}, yet it is not a collector of later versions only`);
    return undefined;
  }
  await sql.unsafe(`SET statement_timeout = ${def.timeout_ms}`);
  const result = await sql.unsafe(variant.sql);
  const returned = result.columns.map((c) => c.name);
  for (const c of returned) assert.ok(c in def.columns, `${def.id}: column "${c}" is returned but not declared`);
  assert.equal(new Set(returned).size, returned.length, `${def.id}: a column is returned twice`);
  for (const c of Object.keys(def.columns)) {
    if (mentions(variant.sql, c)) assert.ok(returned.includes(c), `${def.id}: column "${c}" is in the SQL but not returned`);
  }
  const families = rowsToFamilies(def, result as unknown as Record<string, unknown>[]);
  for (const f of families) {
    assert.ok(Value.Check(MetricFamily, f), `${def.id}: ${f.name} is not a valid MetricFamily: ${[...Value.Errors(MetricFamily, f)].map((e) => `${e.path} ${e.message}`).join('; ')}`);
    const keys = f.points.map((p) => JSON.stringify(p.l ?? {}));
    assert.equal(new Set(keys).size, keys.length, `${def.id}: ${f.name} has two points with the same labels`);
  }
  return families;
}

/** Runs one collector by id, naming the major, the server and the collector in a failure. */
export function runnerFor(major: number, versionNum: number) {
  return async (sql: postgres.Sql, id: string, where = 'primary'): Promise<MetricFamily[]> => {
    const def = catalog.find((d) => d.id === id);
    assert.ok(def, `no collector ${id}`);
    try {
      return (await runCollector(sql, def, versionNum)) ?? [];
    } catch (err) {
      throw new Error(`PostgreSQL ${major}, ${where}, collector ${id} (${def.source}): ${(err as Error).message}`, { cause: err });
    }
  };
}

/**
 * Something for the collectors to see, made by a superuser: a table with
 * activity and an unused index, a bloated table the monitor may read and a
 * table it may not, a default partition with rows, sequences, a tracked
 * function, a publication and a (disabled) subscription to it, a slot that
 * holds WAL, a segment the archiver fails on, and a setting that waits for a
 * restart.
 */
export async function prepare(admin: postgres.Sql, port: string): Promise<void> {
  await admin.unsafe(`CREATE ROLE ${MONITOR} LOGIN; GRANT pg_monitor TO ${MONITOR}`);
  await admin.unsafe(`CREATE TABLE t (id int PRIMARY KEY, v text);
    INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
    UPDATE t SET v = 'x' WHERE id <= 10;
    CREATE INDEX t_v ON t (v);
    CREATE TABLE bloated AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g;
    DELETE FROM bloated WHERE id % 2 = 0;
    CREATE TABLE unreadable AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g;
    ALTER TABLE unreadable SET (autovacuum_enabled = false);
    GRANT SELECT ON bloated TO ${MONITOR};
    CREATE SEQUENCE seq_int AS integer;
    SELECT setval('seq_int', 1500000000);
    GRANT SELECT ON SEQUENCE seq_int TO ${MONITOR};
    CREATE SEQUENCE seq_hidden AS integer;
    SELECT nextval('seq_hidden');
    CREATE FUNCTION add_one(int) RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN $1 + 1; END';
    SELECT add_one(1), add_one(2);
    CREATE TABLE parted (id int, v text) PARTITION BY RANGE (id);
    CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (100);
    CREATE TABLE parted_default PARTITION OF parted DEFAULT;
    INSERT INTO parted SELECT g, 'x' FROM generate_series(1, 500) g;
    ANALYZE parted;
    CREATE PUBLICATION pub FOR TABLE t;
    SELECT pg_create_physical_replication_slot('standby_1', true);`);
  // VACUUM and CREATE SUBSCRIPTION cannot run in the implicit transaction of a multi-statement query.
  await admin.unsafe('VACUUM ANALYZE bloated');
  await admin.unsafe('ANALYZE unreadable');
  // Connected to this very server only to list the publication's tables; without a slot it stays disabled.
  await admin.unsafe(`CREATE SUBSCRIPTION sub CONNECTION 'host=127.0.0.1 port=${port} user=postgres dbname=postgres'
    PUBLICATION pub WITH (create_slot = false, enabled = false, slot_name = NONE)`);
  await admin.unsafe('ALTER SYSTEM SET max_connections = 101');
  await admin.unsafe('SELECT pg_reload_conf()');
  await admin.unsafe('SELECT pg_switch_wal()');
}
