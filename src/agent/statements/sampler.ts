import type { Sql } from 'postgres';
import type { StatementCounter, StatementsData } from '../../protocol/index.ts';
import { collectRows } from '../collect.ts';
import { quoteIdent, statementsQuery } from './columns.ts';
import { StatementDeltas, type StatementRow } from './delta.ts';
import { redactSql } from './redact.ts';

const MAX_TEXT = 20_000;

interface Source { database: string | undefined; schema: string; query: string; hasInfo: boolean }

/**
 * Reads pg_stat_statements on one target and turns it into `statements` messages:
 * counter deltas for the top entries, redacted texts once per queryid.
 * The view lives in the databases where the extension was created; the sampler
 * uses the first one it finds (the connection database first).
 */
export class StatementsSampler {
  private readonly deltas: StatementDeltas;
  private source?: Source | null;
  private readonly sentTexts = new Set<string>();
  private lastInfo?: { dealloc: number; reset: string };

  constructor(opts: { top: number }) {
    this.deltas = new StatementDeltas(opts);
  }

  /** Finds where pg_stat_statements is; null when nowhere (then the collector is skipped). */
  private async locate(pool: (db?: string) => Sql, databases: string[]): Promise<Source | null> {
    for (const db of [undefined, ...databases]) {
      const sql = pool(db);
      const ext = await collectRows(sql, `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'`, 5000);
      if (ext.length === 0) continue;
      const schema = String(ext[0].schema);
      const cols = await collectRows(sql, `SELECT attname FROM pg_attribute WHERE attrelid = '${quoteIdent(schema).replace(/'/g, "''")}.pg_stat_statements'::regclass AND attnum > 0 AND NOT attisdropped`, 5000);
      const info = await collectRows(sql, `SELECT to_regclass('${quoteIdent(schema).replace(/'/g, "''")}.pg_stat_statements_info') IS NOT NULL AS has`, 5000);
      return { database: db, schema, query: statementsQuery(schema, cols.map((c) => String(c.attname))), hasInfo: Boolean(info[0]?.has) };
    }
    return null;
  }

  /**
   * One snapshot. Returns the message to send, 'baseline' for the first snapshot,
   * or a reason to skip (no extension). Errors are thrown (the caller backs off).
   */
  async sample(pool: (db?: string) => Sql, databases: string[], timeoutMs: number, now: number): Promise<StatementsData | 'baseline' | { skipped: string }> {
    if (this.source === undefined) this.source = await this.locate(pool, databases);
    const src = this.source;
    if (!src) return { skipped: 'pg_stat_statements is not installed in any database (CREATE EXTENSION pg_stat_statements, and shared_preload_libraries)' };
    const sql = pool(src.database);
    let reset = false;
    let evicted: number | undefined;
    if (src.hasInfo) {
      const [info] = await collectRows(sql, `SELECT dealloc::float8 AS dealloc, stats_reset::text AS reset FROM ${quoteIdent(src.schema)}.pg_stat_statements_info`, timeoutMs);
      const cur = { dealloc: Number(info.dealloc), reset: String(info.reset) };
      if (this.lastInfo) {
        reset = cur.reset !== this.lastInfo.reset;
        evicted = reset ? cur.dealloc : Math.max(0, cur.dealloc - this.lastInfo.dealloc);
      }
      this.lastInfo = cur;
    }
    let raw: Record<string, unknown>[];
    try {
      raw = await collectRows(sql, src.query, timeoutMs);
    } catch (err) {
      // The extension was dropped or updated: look again next time.
      if ((err as { code?: string }).code === '42P01' || (err as { code?: string }).code === '42703' || (err as { code?: string }).code === '42883') this.source = undefined;
      throw err;
    }
    const rows: StatementRow[] = raw.map((r) => {
      const counters: Partial<Record<StatementCounter, number>> = {};
      for (const [k, v] of Object.entries(r)) if (typeof v === 'number') counters[k as StatementCounter] = v;
      return { queryid: String(r.queryid), datname: String(r.datname), usename: String(r.usename), toplevel: r.toplevel !== false, counters };
    });
    const out = this.deltas.next(rows, now, reset);
    if (!out) return 'baseline';
    const data: StatementsData = { ...out };
    if (evicted !== undefined) data.evicted = evicted;
    const need = [...new Set(out.entries.map((e) => e.queryid).filter((q) => !this.sentTexts.has(q)))];
    if (need.length > 0) {
      // queryids are integers (checked by the schema's pattern when parsed above), so they can be inlined.
      const ids = need.filter((q) => /^-?\d+$/.test(q));
      const texts = await collectRows(sql, `SELECT DISTINCT ON (queryid) queryid::text AS queryid, query FROM ${quoteIdent(src.schema)}.pg_stat_statements(true) WHERE queryid IN (${ids.join(',')})`, timeoutMs);
      data.texts = texts.map((t) => ({ queryid: String(t.queryid), text: redactSql(String(t.query ?? '')).slice(0, MAX_TEXT) }));
      for (const t of data.texts) this.sentTexts.add(t.queryid);
    }
    return data;
  }

  /** After a restart of the server: new baseline, find the extension again. */
  forget(): void {
    this.deltas.forget();
    this.source = undefined;
    this.lastInfo = undefined;
  }
}
