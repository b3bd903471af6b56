import { STATEMENT_COUNTERS, type StatementCounter, type StatementEntry, type StatementsData } from '../../protocol/index.ts';

/** One row of the snapshot query: identity and cumulative counters. */
export interface StatementRow {
  queryid: string;
  /** pg_stat_statements' own key is (userid, dbid, queryid, toplevel): names can change, oids do not. */
  dbid: string;
  userid: string;
  datname: string;
  usename: string;
  toplevel: boolean;
  /**
   * Counters in STATEMENT_COUNTERS order, NaN where this server's view has none. A typed
   * array: the previous snapshot of 5,000 entries is kept between snapshots, and as
   * objects of numbers it would cost several times the memory.
   */
  c: Float64Array;
}

/** A counters array from named values (tests, and callers that have objects). */
export function counterArray(values: Partial<Record<StatementCounter, number>>): Float64Array {
  const a = new Float64Array(STATEMENT_COUNTERS.length).fill(NaN);
  STATEMENT_COUNTERS.forEach((name, i) => { const v = values[name]; if (v !== undefined) a[i] = v; });
  return a;
}

/** The dimensions "top" is taken along; each contributes its own top N. */
export const TOP_BY: StatementCounter[] = ['total_exec_time', 'calls', 'shared_blks_read', 'temp_blks_written', 'wal_bytes', 'rows', 'total_plan_time'];

export interface DeltaOptions {
  /** Entries per dimension of TOP_BY (their union is sent). */
  top: number;
}

const keyOf = (r: StatementRow) => `${r.dbid}:${r.userid}:${r.toplevel ? 1 : 0}:${r.queryid}`;

/**
 * Turns successive pg_stat_statements snapshots into deltas. The first snapshot is
 * the baseline and yields nothing. An entry with any counter lower than before was
 * evicted and came back, and one not seen before is new: both count from zero.
 * After a reset of the statistics every entry counts from zero. Entries are keyed
 * as pg_stat_statements keys them (userid, dbid, queryid, toplevel), so renaming
 * or dropping a database or role does not make old entries look new.
 */
export class StatementDeltas {
  private prev?: Map<string, Float64Array>;
  private prevTs = 0;

  constructor(private readonly opts: DeltaOptions) {}

  /** The deltas since the previous snapshot, or undefined for the baseline. */
  next(rows: StatementRow[], ts: number, reset = false): Omit<StatementsData, 'texts' | 'evicted'> | undefined {
    const cur = new Map<string, Float64Array>();
    const prev = this.prev;
    const since = this.prevTs;
    const deltas: StatementEntry[] = [];
    for (const r of rows) {
      const k = keyOf(r);
      cur.set(k, r.c);
      if (!prev) continue;
      const p = reset ? undefined : prev.get(k);
      // An entry evicted and created again starts from zero: any counter lower than before says so.
      let fresh = !p;
      if (p) for (let i = 0; i < r.c.length; i++) if (r.c[i] < p[i]) { fresh = true; break; }
      const c: Record<string, number> = {};
      let any = false;
      for (let i = 0; i < r.c.length; i++) {
        const v = r.c[i];
        if (Number.isNaN(v)) continue;
        const d = fresh ? v : v - (Number.isNaN(p![i]) ? 0 : p![i]);
        if (d > 0) { c[STATEMENT_COUNTERS[i]] = d; any = true; }
      }
      // Planned in this interval and executed in the next one is activity too.
      if (any) deltas.push({ queryid: r.queryid, datname: r.datname, usename: r.usename, toplevel: r.toplevel, c });
    }
    this.prev = cur;
    this.prevTs = ts;
    if (!prev) return undefined;
    const chosen = new Set<StatementEntry>();
    for (const dim of TOP_BY) {
      const ranked = deltas.filter((e) => (e.c[dim] ?? 0) > 0).sort((a, b) => (b.c[dim] ?? 0) - (a.c[dim] ?? 0));
      for (const e of ranked.slice(0, this.opts.top)) chosen.add(e);
    }
    const entries = deltas.filter((e) => chosen.has(e));
    // Nested statements' counters are inside their callers': only top-level ones are summed.
    const rest = deltas.filter((e) => !chosen.has(e) && e.toplevel);
    const out: Omit<StatementsData, 'texts' | 'evicted'> = { interval_ms: Math.min(2_147_483_647, Math.max(1, ts - since)), entries };
    if (rest.length > 0) {
      const c: Record<string, number> = {};
      for (const e of rest) for (const [k, v] of Object.entries(e.c)) c[k] = (c[k] ?? 0) + v;
      out.other = { entries: rest.length, c };
    }
    if (reset) out.reset = true;
    return out;
  }

  /** Forgets the baseline (the server restarted, or the extension went away). */
  forget(): void {
    this.prev = undefined;
  }
}
