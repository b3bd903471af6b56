import { STATEMENT_COUNTERS, type StatementCounter } from '../../protocol/index.ts';

/**
 * Where each counter comes from in pg_stat_statements, newest name first. The view's
 * columns depend on the extension's version (1.8 on 13 … 1.12 on 18), which need not
 * match the server's after pg_upgrade, so the agent reads the columns the view has
 * and takes the first that exists; a counter with no source is left out, never the row.
 * 13 (1.8): total_time split into total_exec_time and total_plan_time;
 * 17 (1.11): blk_read_time/blk_write_time became shared_blk_read_time/shared_blk_write_time.
 */
export const STATEMENT_SOURCES: Record<StatementCounter, string[]> = Object.fromEntries(
  STATEMENT_COUNTERS.map((c) => [c, [c]]),
) as Record<StatementCounter, string[]>;
STATEMENT_SOURCES.total_exec_time = ['total_exec_time', 'total_time'];
STATEMENT_SOURCES.shared_blk_read_time = ['shared_blk_read_time', 'blk_read_time'];
STATEMENT_SOURCES.shared_blk_write_time = ['shared_blk_write_time', 'blk_write_time'];

/** The counters a view with these columns provides, and the SQL expression of each. */
export function statementColumns(viewColumns: Iterable<string>): { counter: StatementCounter; column: string }[] {
  const have = new Set(viewColumns);
  const out: { counter: StatementCounter; column: string }[] = [];
  for (const counter of STATEMENT_COUNTERS) {
    const column = STATEMENT_SOURCES[counter].find((c) => have.has(c));
    if (column) out.push({ counter, column });
  }
  return out;
}

/** A name read from the catalog, always double-quoted (a schema may be called "user"). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The snapshot query: every entry's counters, without texts (pg_stat_statements(false)
 * does not read the query-text file), with database and role names. The counters of a
 * row come as one text, comma-separated in `counters` order (empty where NULL): 5,000
 * rows of 30 numbers are far cheaper to receive as 5,000 strings than as 150,000 boxed
 * numbers in row objects.
 */
export function statementsQuery(schema: string, viewColumns: Iterable<string>): { sql: string; counters: StatementCounter[] } {
  const have = new Set(viewColumns);
  const cols = statementColumns(have);
  const fn = `${quoteIdent(schema)}.pg_stat_statements(false)`;
  const sql = `SELECT s.queryid::text AS queryid, s.dbid::text AS dbid, s.userid::text AS userid,
       coalesce(d.datname, s.dbid::text) AS datname, coalesce(r.rolname, s.userid::text) AS usename,
       ${have.has('toplevel') ? 's.toplevel' : 'true'} AS toplevel,
       ${cols.map((c) => `coalesce(s.${quoteIdent(c.column)}::float8::text, '')`).join(` || ',' || `)} AS c
  FROM ${fn} s
  LEFT JOIN pg_database d ON d.oid = s.dbid
  LEFT JOIN pg_roles r ON r.oid = s.userid
 WHERE s.queryid IS NOT NULL`;
  return { sql, counters: cols.map((c) => c.counter) };
}
