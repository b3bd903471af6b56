// `pgfleet anon scan | dump | restore | sync`: find personal data, and copy a database with it masked.
import { readFileSync, writeFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import postgres from 'postgres';
import { DictionaryError, parseDictionary, type Dictionary } from '../anon/index.ts';
import { AnonError, anonCopy, dictionaryYaml, scanDatabase, type CopyMode, type CopyProgress, type CopyReport } from '../anon-db/index.ts';
import { ConfigError, type FieldSpec } from './config.ts';

export const AnonScanConfig = Type.Object({
  source: Type.String(),
  out: Type.Optional(Type.String()),
  previous: Type.Optional(Type.String()),
  sampleRows: Type.Integer({ minimum: 10, maximum: 100_000, default: 1000 }),
}, { additionalProperties: false });

export const ANON_SCAN_FIELDS: FieldSpec[] = [
  { key: 'source', flag: 'source', type: 'string', env: 'PGFLEET_ANON_SOURCE', description: 'the database to scan (a PostgreSQL URI; read access is enough)' },
  { key: 'out', flag: 'out', type: 'string', description: 'write the dictionary here (default: standard output)' },
  { key: 'previous', flag: 'previous', type: 'string', description: 'an earlier dictionary: the columns it decides keep their rules' },
  { key: 'sampleRows', flag: 'sample-rows', type: 'number', description: 'rows sampled per table' },
];

export const AnonCopyConfig = Type.Object({
  source: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  dir: Type.Optional(Type.String()),
  dictionary: Type.Optional(Type.String()),
  keyFile: Type.Optional(Type.String()),
  jobs: Type.Integer({ minimum: 1, maximum: 32, default: 2 }),
  report: Type.Optional(Type.String()),
  progress: Type.Union([Type.Literal('auto'), Type.Literal('bars'), Type.Literal('lines'), Type.Literal('none')], { default: 'auto' }),
}, { additionalProperties: false });
export type AnonCopyConfig = Static<typeof AnonCopyConfig>;

const copyFields = (mode: CopyMode): FieldSpec[] => [
  ...(mode !== 'restore' ? [
    { key: 'source', flag: 'source', type: 'string', env: 'PGFLEET_ANON_SOURCE', description: 'the source database (a PostgreSQL URI; read access is enough)' } as FieldSpec,
    { key: 'dictionary', flag: 'dictionary', type: 'string', description: 'the dictionary (YAML), as `pgfleet anon scan` writes it and a person reviewed it' } as FieldSpec,
    { key: 'keyFile', flag: 'key-file', type: 'string', description: 'file holding the secret key of the keyed rules (or PGFLEET_ANON_KEY); the same key gives the same copy' } as FieldSpec,
  ] : []),
  ...(mode !== 'dump' ? [{ key: 'target', flag: 'target', type: 'string', env: 'PGFLEET_ANON_TARGET', description: 'the target database: empty, or an incomplete copy to finish' } as FieldSpec] : []),
  ...(mode !== 'sync' ? [{ key: 'dir', flag: 'dir', type: 'string', description: mode === 'dump' ? 'the directory to write (new or empty, or an incomplete dump to finish)' : 'the dump directory' } as FieldSpec] : []),
  { key: 'jobs', flag: 'jobs', type: 'number', description: 'tables copied at once' },
  { key: 'report', flag: 'report', type: 'string', description: 'also write the report as JSON to this file' },
  { key: 'progress', flag: 'progress', type: 'string', description: 'auto (bars on a terminal, lines otherwise), bars, lines, none' },
];

const readDictionary = (path: string): Dictionary => {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) { throw new ConfigError([`cannot read the dictionary ${path}: ${(err as Error).message}`]); }
  try { return parseDictionary(text); } catch (err) { if (err instanceof DictionaryError) throw new ConfigError([`${path}: ${err.message}`]); throw err; }
};

function readKey(cfg: AnonCopyConfig, env: NodeJS.ProcessEnv): Buffer {
  let key: Buffer | undefined;
  if (cfg.keyFile) {
    try { key = Buffer.from(readFileSync(cfg.keyFile, 'utf8').trim()); } catch (err) { throw new ConfigError([`cannot read the key file ${cfg.keyFile}: ${(err as Error).message}`]); }
  } else if (env.PGFLEET_ANON_KEY) key = Buffer.from(env.PGFLEET_ANON_KEY);
  if (!key) throw new ConfigError(['a secret key is needed: --key-file FILE or PGFLEET_ANON_KEY (for example: openssl rand -hex 32 > anon.key)']);
  if (key.length < 16) throw new ConfigError([`the key is ${key.length} bytes; use at least 16 (openssl rand -hex 32)`]);
  return key;
}

const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
const dur = (s: number): string => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);
const bar = (f: number, w = 20): string => `${'█'.repeat(Math.round(Math.min(1, f) * w))}${'░'.repeat(w - Math.round(Math.min(1, f) * w))}`;

/** Progress lines: overall (bytes, rate, ETA) and each table being copied. */
export function progressLines(p: CopyProgress): string[] {
  const secs = (Date.now() - p.startedAt) / 1000;
  const rate = p.bytes / Math.max(0.001, secs);
  const frac = p.totalBytes ? p.bytes / p.totalBytes : 0;
  const eta = rate > 0 && p.totalBytes > p.bytes ? dur((p.totalBytes - p.bytes) / rate) : '—';
  const done = p.tables.filter((t) => t.state === 'done' || t.state === 'skipped').length;
  const lines = [`${p.phase.padEnd(11)} ${bar(frac)} ${mb(p.bytes)}/${mb(p.totalBytes)} ${p.rows} rows ${mb(rate)}/s ETA ${eta}  tables ${done}/${p.tables.length}${p.resumed ? ' (resumed)' : ''}`];
  for (const t of p.tables.filter((x) => x.state === 'copying')) {
    lines.push(`  ${t.name.slice(0, 40).padEnd(40)} ${bar(t.totalBytes ? t.bytes / t.totalBytes : 0, 12)} ${t.rows}${t.totalRows ? `/~${t.totalRows}` : ''} rows ${mb(t.bytes)}`);
  }
  return lines;
}

/** The report as text: a table per line, then totals. */
export function reportText(r: CopyReport): string {
  const lines = [`pgfleet anon ${r.mode}: ${r.source} → ${r.target}${r.resumed ? ' (finished an earlier incomplete run)' : ''}`];
  for (const t of r.tables) {
    const masked = Object.entries(t.masked).map(([c, rule]) => `${c}: ${rule}`).join(', ');
    lines.push(`  ${t.name.padEnd(36)} ${String(t.rows).padStart(10)} rows ${mb(t.bytes).padStart(10)} ${t.skipped ? 'skipped' : t.fromEarlierRun ? 'from the earlier run' : `${(t.ms / 1000).toFixed(1)} s`}${t.subset ? ' subset' : ''}${masked ? `  masked: ${masked}` : ''}`);
  }
  lines.push(`columns masked by rule: ${Object.entries(r.rules).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  lines.push(`${r.rows} rows, ${mb(r.bytes)} in ${(r.durationMs / 1000).toFixed(1)} s: ${r.rowsPerS} rows/s, ${r.mbPerS} MB/s${r.maskThreads ? `; masked on ${r.maskThreads} thread${r.maskThreads > 1 ? 's' : ''}` : ''}`);
  return lines.join('\n');
}

function progressPrinter(mode: AnonCopyConfig['progress']): (p: CopyProgress) => void {
  const bars = mode === 'bars' || (mode === 'auto' && process.stderr.isTTY);
  if (mode === 'none') return () => {};
  let drawn = 0;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (!bars) {
      if (now - last < 5000 && p.phase !== 'done') return;
      last = now;
      process.stderr.write(`${progressLines(p)[0]}\n`);
      return;
    }
    if (now - last < 200 && p.phase !== 'done') return;
    last = now;
    const lines = progressLines(p);
    process.stderr.write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    drawn = lines.length;
  };
}

const copyRun = (mode: CopyMode) => async (cfg: AnonCopyConfig, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<number> => {
  // Each table lands whole or not at all: stopping at any moment leaves a copy the same command finishes.
  signal?.addEventListener('abort', () => {
    process.stderr.write(`\npgfleet anon ${mode}: interrupted; the copy is marked incomplete, run the same command again to finish it\n`);
    process.exit(130);
  });
  const need = (v: unknown, flag: string): void => { if (!v) throw new ConfigError([`${mode} needs --${flag}`]); };
  if (mode !== 'restore') { need(cfg.source, 'source'); need(cfg.dictionary, 'dictionary'); }
  if (mode !== 'dump') need(cfg.target, 'target');
  if (mode !== 'sync') need(cfg.dir, 'dir');
  const dictionary = mode === 'restore' ? undefined : readDictionary(cfg.dictionary!);
  const key = mode === 'restore' ? undefined : readKey(cfg, env);
  try {
    const report = await anonCopy({ mode, source: cfg.source, target: cfg.target, dir: cfg.dir, dictionary, key, jobs: cfg.jobs, onProgress: progressPrinter(cfg.progress) });
    process.stdout.write(`${reportText(report)}\n`);
    if (cfg.report) writeFileSync(cfg.report, `${JSON.stringify(report, null, 1)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof AnonError) { process.stderr.write(`pgfleet anon ${mode}: ${err.message}\n`); return 1; }
    const e = err as { message: string; detail?: string; hint?: string; code?: string };
    process.stderr.write(`pgfleet anon ${mode}: ${e.message}${e.detail ? `\n  ${e.detail}` : ''}${e.hint ? `\n  hint: ${e.hint}` : ''}\nThe copy is marked incomplete; run the same command again to finish it.\n`);
    return 1;
  }
};

export async function runScan(cfg: Static<typeof AnonScanConfig>): Promise<number> {
  const previous = cfg.previous ? readDictionary(cfg.previous) : undefined;
  const sql = postgres(cfg.source, { max: 1, onnotice: () => {}, connection: { application_name: 'pgfleet anon scan' } });
  try {
    const r = await scanDatabase(sql, { sampleRows: cfg.sampleRows, previous, onTable: (i, n, t) => process.stderr.write(`scanning ${i + 1}/${n} ${t}\n`) });
    const [db] = await sql`select current_database() as d`;
    const header = `pgfleet anon scan of ${db.d}, ${new Date().toISOString()}: ${r.findings.length} of ${r.columns} columns in ${r.tables} tables hold personal data.\n`
      + 'Review every entry (rule, confidence, evidence) before copying; columns not listed are copied as they are.';
    const yaml = dictionaryYaml(r.dictionary, header);
    if (cfg.out) writeFileSync(cfg.out, yaml); else process.stdout.write(yaml);
    for (const f of r.findings) process.stderr.write(`  ${`${f.schema}.${f.table}.${f.column}`.padEnd(40)} ${f.kind.padEnd(12)} ${f.confidence.padEnd(6)} ${f.rule.rule}${f.from ? ` (${f.from})` : ''}\n`);
    process.stderr.write(`${r.findings.length} of ${r.columns} columns flagged${cfg.out ? `; dictionary written to ${cfg.out}` : ''}\n`);
    return 0;
  } finally {
    await sql.end({ timeout: 2 });
  }
}

export const ANON_SYNC_FIELDS = copyFields('sync');
export const ANON_DUMP_FIELDS = copyFields('dump');
export const ANON_RESTORE_FIELDS = copyFields('restore');
export const runSync = copyRun('sync');
export const runDump = copyRun('dump');
export const runRestore = copyRun('restore');
