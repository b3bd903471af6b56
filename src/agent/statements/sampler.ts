import type { Sql } from 'postgres';
import { cutText, STATEMENT_COUNTERS, type StatementsData } from '../../protocol/index.ts';
import { collectRows } from '../collect.ts';
import { quoteIdent, statementsQuery } from './columns.ts';
import { StatementDeltas, type StatementRow } from './delta.ts';
import { redactSql } from './redact.ts';

const MAX_TEXT = 20_000;

interface Source { database: string | undefined; schema: string; query: string; counters: number[]; hasInfo: boolean }

/**
 * Reads pg_stat_statements on one target and turns it into `statements` messages:
 * counter deltas for the top entries, redacted texts once per queryid.
 * The view lives in the databases where the extension was created; the sampler
 * uses the first one it finds (the connection database first).
 */
export class StatementsSampler {
  private readonly deltas: StatementDeltas;
  /** Where the view is; null: nowhere (looked again after NOT_FOUND_RETRY_MS). */
  private source?: Source | null;
  private notFoundAt = 0;
  /** queryids whose text this agent process has sent; bounded, a resend is only an upsert. */
  private sentTexts = new Set<string>();
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
      const q = quoteIdent(schema).replace(/'/g, "''");
      const cols = await collectRows(sql, `SELECT attname FROM pg_attribute WHERE attrelid = '${q}.pg_stat_statements'::regclass AND attnum > 0 AND NOT attisdropped`, 5000);
      const info = await collectRows(sql, `SELECT to_regclass('${q}.pg_stat_statements_info') IS NOT NULL AS has`, 5000);
      const q2 = statementsQuery(schema, cols.map((c) => String(c.attname)));
      return { database: db, schema, query: q2.sql, counters: q2.counters.map((c) => STATEMENT_COUNTERS.indexOf(c)), hasInfo: Boolean(info[0]?.has) };
    }
    return null;
  }

  /**
   * One snapshot. Returns the message to send, 'baseline' for the first snapshot,
   * or a reason to skip (no extension). Errors are thrown (the caller backs off).
   */
  async sample(pool: (db?: string) => Sql, databases: string[], timeoutMs: number, now: number): Promise<StatementsData | 'baseline' | { skipped: string }> {
    if (this.source === null && now - this.notFoundAt >= NOT_FOUND_RETRY_MS) this.source = undefined;
    if (this.source === undefined) {
      this.source = await this.locate(pool, databases);
      if (!this.source) this.notFoundAt = now;
    }
    const src = this.source;
    if (!src) return { skipped: 'pg_stat_statements is not installed in any database (CREATE EXTENSION pg_stat_statements, and shared_preload_libraries)' };
    const sql = pool(src.database);
    let info: { dealloc: number; reset: string } | undefined;
    let raw: Record<string, unknown>[];
    try {
      if (src.hasInfo) {
        const [r] = await collectRows(sql, `SELECT dealloc::float8 AS dealloc, stats_reset::text AS reset FROM ${quoteIdent(src.schema)}.pg_stat_statements_info`, timeoutMs);
        info = { dealloc: Number(r.dealloc), reset: String(r.reset) };
      }
      raw = await collectRows(sql, src.query, timeoutMs);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Loaded as an extension but not preloaded: nothing to read, and nothing wrong with the agent.
      if (code === '55000') return { skipped: 'pg_stat_statements is not in shared_preload_libraries (it needs a restart of the server)' };
      // The extension, its schema or its database went away or changed: look for it again next time.
      if (code && SOURCE_GONE.has(code)) { this.source = undefined; this.deltas.forget(); this.lastInfo = undefined; }
      throw err;
    }
    // Both reads succeeded: only now does the reset state move on, with the deltas.
    let reset = false;
    let evicted: number | undefined;
    if (info && this.lastInfo) {
      reset = info.reset !== this.lastInfo.reset;
      evicted = reset ? info.dealloc : Math.max(0, info.dealloc - this.lastInfo.dealloc);
    }
    this.lastInfo = info;
    const rows: StatementRow[] = raw.map((r) => {
      const c = new Float64Array(STATEMENT_COUNTERS.length).fill(NaN);
      const parts = String(r.c).split(',');
      for (let i = 0; i < src.counters.length; i++) if (parts[i] !== '' && parts[i] !== undefined) c[src.counters[i]] = Number(parts[i]);
      return { queryid: String(r.queryid), dbid: String(r.dbid), userid: String(r.userid), datname: String(r.datname), usename: String(r.usename), toplevel: r.toplevel !== false, c };
    });
    raw = [];
    const out = this.deltas.next(rows, now, reset);
    if (!out) return 'baseline';
    const data: StatementsData = { ...out };
    if (evicted !== undefined) data.evicted = evicted;
    const need = [...new Set(out.entries.map((e) => e.queryid).filter((q) => !this.sentTexts.has(q) && /^-?\d+$/.test(q)))];
    if (need.length > 0) {
      try {
        // pg_stat_statements(true) reads the whole query-text file, whatever the WHERE: once per snapshot, only for new queryids.
        const texts = await collectRows(sql, `SELECT DISTINCT ON (queryid) queryid::text AS queryid, query FROM ${quoteIdent(src.schema)}.pg_stat_statements(true) WHERE queryid IN (${need.join(',')})`, timeoutMs);
        data.texts = texts.map((t) => ({ queryid: String(t.queryid), text: cutText(redactSql(cutText(String(t.query ?? ''), MAX_TEXT * 2)), MAX_TEXT) }));
      } catch {
        // Texts are best-effort: the deltas go now, the texts are asked for again next time.
      }
    }
    return data;
  }

  /** Called once the message is spooled: its texts need not be sent again. */
  textsSent(data: StatementsData): void {
    if (this.sentTexts.size > MAX_SENT_TEXTS) this.sentTexts = new Set();
    for (const t of data.texts ?? []) this.sentTexts.add(t.queryid);
  }

  /** After a restart of the server: new baseline, find the extension again. */
  forget(): void {
    this.deltas.forget();
    this.source = undefined;
    this.lastInfo = undefined;
  }
}

/** SQLSTATEs that mean the located view is gone: undefined table, column, function, schema; database gone. */
const SOURCE_GONE = new Set(['42P01', '42703', '42883', '3F000', '3D000']);
/** How long "not installed" is believed before looking again. */
const NOT_FOUND_RETRY_MS = 60_000;
const MAX_SENT_TEXTS = 100_000;
