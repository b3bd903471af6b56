// The anonymizing copy: `dump` (source → directory), `sync` (source → database, streaming) and
// `restore` (directory → database). One snapshot of the source for every table, tables in
// parallel, rows masked on the way (COPY out → mask → COPY in), constraints and indexes after the
// data, sequences set as the source had them. Pre-flight refuses before the first row.
import { createHash, createHmac } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import {
  lineMasker, masksAnything, maskCopyChunks, preflight, RuleBook,
  type ColumnInfo, type Dictionary, type Rule,
} from '../anon/index.ts';
import { DbSource, subsetFilters } from './db-source.ts';
import { MaskThread } from './mask-thread.ts';
import { AnonError } from './errors.ts';
import { qualified, setvalStatement, type CopyTable } from './schema.ts';
import { DbSink, DirSink, readDump, tableKey, type Sink } from './sink.ts';

export type CopyMode = 'dump' | 'sync' | 'restore';

export interface CopyOptions {
  mode: CopyMode;
  /** sync, dump: the source database's URL. */
  source?: string;
  /** sync, restore: the target database's URL (an empty database, or an incomplete copy to finish). */
  target?: string;
  /** dump, restore: the directory. */
  dir?: string;
  dictionary?: Dictionary;
  /** The secret key of the keyed rules: the same key gives the same target. */
  key?: Buffer | string;
  /** Tables copied at once (default 2). */
  jobs?: number;
  onProgress?: (p: CopyProgress) => void;
  /** Stops the copy: its connections close, it rejects, and the target stays marked incomplete. */
  signal?: AbortSignal;
  /** Every part of the URIs from the URIs themselves, none from PG* variables (the server's jobs). */
  strictUris?: boolean;
}

export interface TableProgress {
  name: string;
  rows: number;
  bytes: number;
  /** Estimates from the source's catalog (0: unknown). */
  totalRows: number;
  totalBytes: number;
  state: 'waiting' | 'copying' | 'done' | 'skipped';
}

export interface CopyProgress {
  phase: 'pre-flight' | 'schema' | 'data' | 'constraints' | 'done';
  tables: TableProgress[];
  rows: number;
  bytes: number;
  totalBytes: number;
  startedAt: number;
  resumed: boolean;
}

export interface CopyReport {
  mode: CopyMode;
  source: string;
  target: string;
  resumed: boolean;
  tables: { name: string; rows: number; bytes: number; ms: number; masked: Record<string, string>; subset?: string; skipped?: boolean; fromEarlierRun?: boolean }[];
  /** Columns masked, by rule. */
  rules: Record<string, number>;
  rows: number;
  bytes: number;
  /** Threads that masked rows (0: the main thread did). */
  maskThreads: number;
  durationMs: number;
  rowsPerS: number;
  mbPerS: number;
}

/** Counts rows (newlines) and bytes of raw COPY text passing through. */
async function* counted(chunks: AsyncIterable<Buffer>, onChunk: (rows: number, bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const c of chunks) {
    let n = 0;
    for (let i = c.indexOf(0x0a); i >= 0; i = c.indexOf(0x0a, i + 1)) n++;
    onChunk(n, c.length);
    yield c;
  }
}

/** A text with the password of every connection URI in it (scheme://user:password@host) replaced. */
export const redactUri = (u: string): string => u.replace(/(\/\/[^:@/\s]+):[^@/\s]*@/g, '$1:***@');

/** Runs one copy to its end; throws an AnonError (pre-flight problems listed) or the database's error. */
export async function anonCopy(opts: CopyOptions): Promise<CopyReport> {
  const started = Date.now();
  const jobs = Math.max(1, opts.jobs ?? 2);
  const need = (v: unknown, what: string): void => { if (!v) throw new AnonError('PGFLEET_ANON_SOURCE', `${opts.mode} needs ${what}`); };
  if (opts.mode !== 'restore') { need(opts.source, 'a source database URL'); need(opts.dictionary, 'a dictionary'); need(opts.key, 'a key (--key-file or PGFLEET_ANON_KEY)'); }
  if (opts.mode !== 'dump') need(opts.target, 'a target database URL');
  if (opts.mode !== 'sync') need(opts.dir, 'a directory');

  const progress: CopyProgress = { phase: 'pre-flight', tables: [], rows: 0, bytes: 0, totalBytes: 0, startedAt: started, resumed: false };
  const emit = (): void => opts.onProgress?.(progress);
  const report: CopyReport = {
    mode: opts.mode, source: redactUri(opts.source ?? opts.dir ?? ''), target: redactUri(opts.target ?? opts.dir ?? ''), resumed: false,
    tables: [], rules: {}, rows: 0, bytes: 0, maskThreads: 0, durationMs: 0, rowsPerS: 0, mbPerS: 0,
  };

  const sink: Sink = opts.mode === 'dump' ? new DirSink(opts.dir!) : new DbSink(opts.target!, jobs, opts.strictUris);
  const source = opts.mode === 'restore' ? undefined : new DbSource(opts.source!, opts.strictUris);
  const onAbort = (): void => { void source?.close().catch(() => {}); void sink.close().catch(() => {}); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // What to copy, how, and with which check of the rules.
    let plan: { pre: string[]; post: string[]; tables: CopyTable[]; fingerprint: string; source: string };
    const rulesOf = new Map<string, (Rule | undefined)[]>();
    const filters = new Map<string, string>();
    const skipped = new Set<string>();
    let readers: (() => Promise<{ read: (t: CopyTable) => Promise<AsyncIterable<Buffer>>; release: () => Promise<void> }>);
    if (source) {
      const meta = await source.open();
      const book = new RuleBook(opts.dictionary!);
      const infos = new Map<string, ColumnInfo>(meta.columns.map((c) => [`${c.schema}.${c.table}.${c.column}`, c]));
      const problems: string[] = [];
      const used = new Set<number>();
      for (const t of meta.schema.tables) {
        const named = t.root ?? { schema: t.schema, name: t.name };
        if (book.isSkipped(named.schema, named.name)) skipped.add(tableKey(t));
        const rules = t.columns.map((c) => {
          const r = book.ruleFor(named.schema, named.name, c.name);
          if (!r) return undefined;
          used.add(r.entry);
          const info = infos.get(`${named.schema}.${named.name}.${c.name}`);
          if (info) problems.push(...preflight([{ info, rule: r.rule }]));
          // Rows are copied into their partition, which checks its bounds: a masked key would not fit.
          if (r.rule.rule !== 'keep' && t.partitionKeys?.includes(c.name)) {
            problems.push(`${named.schema}.${named.name}.${c.name}: a partition key (rows are placed by it); masking it would move rows out of their partitions, so it must be kept`);
          }
          return r.rule;
        });
        rulesOf.set(tableKey(t), rules);
      }
      // An exact name that matches nothing is most likely a typo that would leave data unmasked.
      for (const [i, c] of opts.dictionary!.columns.entries()) {
        const exact = ![c.schema, c.table, c.column].some((v) => v !== undefined && /[*?]|^\/.*\/$/.test(v));
        if (exact && !used.has(i) && c.rule.rule !== 'keep') problems.push(`/columns/${i} (${[c.schema, c.table, c.column].filter(Boolean).join('.')}): matches no column of the source`);
      }
      // A skip entry that names no table would copy the table it meant in full.
      for (const [i, sk] of (opts.dictionary!.skip ?? []).entries()) {
        const exact = ![sk.schema, sk.table].some((v) => v !== undefined && /[*?]|^\/.*\/$/.test(v));
        const named = (t: CopyTable) => t.root ?? { schema: t.schema, name: t.name };
        if (exact && !meta.schema.tables.some((t) => named(t).name === sk.table && (sk.schema === undefined || named(t).schema === sk.schema))) {
          problems.push(`/skip/${i} (${[sk.schema, sk.table].filter(Boolean).join('.')}): matches no table of the source`);
        }
      }
      const own = (s: string, t: string): string | undefined => book.subsetOf(s, t);
      for (const [k, f] of subsetFilters(meta.schema.tables, meta.fks, own)) filters.set(k, f);
      for (const sub of opts.dictionary!.subset ?? []) {
        const t = meta.schema.tables.find((x) => x.schema === (sub.schema ?? 'public') && x.name === sub.table);
        if (!t) { problems.push(`subset ${sub.schema ?? 'public'}.${sub.table}: no such table`); continue; }
        try { await source.check(`select 1 from only ${qualified(t.schema, t.name)} t where ${sub.where} limit 0`); } catch (err) { problems.push(`subset ${tableKey(t)}: ${(err as Error).message}`); }
      }
      const unique = [...new Set(problems)];
      if (unique.length) throw new AnonError('PGFLEET_ANON_PREFLIGHT', `pre-flight found ${unique.length} problem${unique.length > 1 ? 's' : ''}; nothing was copied:\n${unique.map((p) => `  ${p}`).join('\n')}`, undefined, unique);
      const keyTag = createHmac('sha256', opts.key!).update('pgfleet anon fingerprint').digest('hex');
      // The schema too: a rerun resumes only what it would have built (post-data steps are counted by position).
      const fingerprint = createHash('sha256').update(JSON.stringify([meta.systemId, meta.database, opts.dictionary, keyTag, opts.mode, meta.schema.pre, meta.schema.post])).digest('hex').slice(0, 32);
      plan = {
        pre: meta.schema.pre, tables: meta.schema.tables, fingerprint, source: `${meta.database} (system ${meta.systemId})`,
        post: [...meta.schema.post, ...meta.schema.sequences.flatMap((s) => setvalStatement(s) ?? [])],
      };
      readers = async () => {
        const w = await source.worker();
        return { read: (t) => w.read(t, filters.get(tableKey(t))), release: w.release };
      };
    } else {
      const m = readDump(opts.dir!);
      plan = { pre: m.pre, post: m.post, tables: m.tables, fingerprint: `${m.fingerprint}:restore`, source: `dump of ${m.source}` };
      // A dump's data is masked already.
      for (const t of m.tables) rulesOf.set(tableKey(t), []);
      readers = async () => ({
        read: async (t) => createReadStream(join(opts.dir!, m.tables.find((x) => tableKey(x) === tableKey(t))!.file), { highWaterMark: 256 * 1024 }),
        release: async () => {},
      });
    }

    progress.phase = 'schema';
    emit();
    const { resumed, done } = await sink.prepare(plan);
    progress.resumed = report.resumed = resumed;
    progress.tables = plan.tables.map((t) => ({
      name: tableKey(t), rows: 0, bytes: 0, totalRows: Math.round(t.rows), totalBytes: t.bytes,
      state: skipped.has(tableKey(t)) ? 'skipped' : done.has(`table:${tableKey(t)}`) ? 'done' : 'waiting',
    }));
    progress.totalBytes = progress.tables.filter((t) => t.state === 'waiting').reduce((a, t) => a + t.totalBytes, 0);
    progress.phase = 'data';
    emit();

    // Largest tables first: the parallel workers then finish close together.
    const queue = plan.tables.filter((t) => !done.has(`table:${tableKey(t)}`)).sort((a, b) => b.bytes - a.bytes);
    const entry = (t: CopyTable): CopyReport['tables'][number] => {
      const rules = rulesOf.get(tableKey(t)) ?? [];
      const masked: Record<string, string> = {};
      for (const [i, r] of rules.entries()) if (r && r.rule !== 'keep') masked[t.columns[i].name] = r.rule === 'fake' ? `fake ${r.kind}` : r.rule;
      return { name: tableKey(t), rows: 0, bytes: 0, ms: 0, masked, ...(filters.has(tableKey(t)) ? { subset: filters.get(tableKey(t)) } : {}) };
    };
    for (const t of plan.tables) if (done.has(`table:${tableKey(t)}`)) report.tables.push({ ...entry(t), fromEarlierRun: true });
    const key = opts.key ?? '';
    // Masking runs on a thread per job, so tables are masked in parallel and the main thread only
    // moves bytes; where threads cannot start, it runs on the main thread.
    let threadsFailed = false;
    const worker = async (): Promise<void> => {
      const r = await readers();
      let thread: MaskThread | undefined;
      const threadFor = async (): Promise<MaskThread | undefined> => {
        if (thread || threadsFailed) return thread;
        const t = new MaskThread();
        if (await t.ready()) { thread = t; report.maskThreads++; } else { threadsFailed = true; await t.close(); }
        return thread;
      };
      try {
        for (let t = queue.shift(); t; t = queue.shift()) {
          const p = progress.tables.find((x) => x.name === tableKey(t!))!;
          const e = entry(t);
          const t0 = Date.now();
          p.state = 'copying';
          const count = (rows: number, bytes: number): void => { p.rows += rows; p.bytes += bytes; progress.rows += rows; progress.bytes += bytes; };
          if (skipped.has(tableKey(t))) {
            // A skipped table is created, left empty, and counted as done.
            await sink.writeTable(t, (async function* () {})());
            e.skipped = true;
          } else {
            const rules = rulesOf.get(tableKey(t)) ?? [];
            const raw = counted(await r.read(t), count);
            const th = masksAnything(rules) ? await threadFor() : undefined;
            const chunks = !masksAnything(rules) ? raw
              : th ? th.mask(raw, rules, key)
                : maskCopyChunks(raw, lineMasker(rules, { key }));
            await sink.writeTable(t, chunks);
          }
          p.state = skipped.has(tableKey(t)) ? 'skipped' : 'done';
          Object.assign(e, { rows: p.rows, bytes: p.bytes, ms: Date.now() - t0 });
          report.tables.push(e);
          emit();
        }
      } finally {
        await r.release();
        await thread?.close();
      }
    };
    const ticker = setInterval(emit, 500);
    try { await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, queue.length)) }, worker)); } finally { clearInterval(ticker); }
    await source?.close();

    progress.phase = 'constraints';
    emit();
    await sink.finishSchema(plan.post);

    for (const t of report.tables) for (const rule of Object.values(t.masked)) report.rules[rule] = (report.rules[rule] ?? 0) + 1;
    report.rows = report.tables.reduce((a, t) => a + t.rows, 0);
    report.bytes = report.tables.reduce((a, t) => a + t.bytes, 0);
    report.durationMs = Date.now() - started;
    report.rowsPerS = Math.round(report.rows / Math.max(0.001, report.durationMs / 1000));
    report.mbPerS = Number((report.bytes / 1e6 / Math.max(0.001, report.durationMs / 1000)).toFixed(2));
    report.tables.sort((a, b) => a.name.localeCompare(b.name));
    await sink.complete(report);
    progress.phase = 'done';
    emit();
    return report;
  } catch (err) {
    if (opts.signal?.aborted) throw new AnonError('PGFLEET_ANON_STOPPED', `the copy was stopped (${String(opts.signal.reason ?? 'aborted')}); it is marked incomplete, and the same copy finishes it`, { cause: err });
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await source?.close().catch(() => {});
    await sink.close().catch(() => {});
  }
}
