// Anonymization jobs started through the API: a scan of a registered instance's database (its
// result is the dictionary to review) or a masked copy of it into a target database (its result
// is the copy's report). A job runs in the api process that accepted it and writes its progress
// to the store every second, so any api process and the console can follow it; a job whose
// process stopped shows as interrupted, and its target says incomplete until the same copy is
// started again and finishes it.
import { parseDictionary, type Dictionary } from '../../anon/index.ts';
import { anonConnection, anonCopy, AnonError, dictionaryYaml, explicitUri, redactUri, scanDatabase, type CopyProgress } from '../../anon-db/index.ts';
import type { AnonJobKind, Store } from '../../store/index.ts';


export interface AnonJobRequest {
  kind: AnonJobKind;
  instance: string;
  /** The instance's databases as its agent reported them: the source must be one of them. */
  databases: string[];
  namespace: string;
  requestedBy: string;
  source: string;
  target?: string;
  /** sync: the reviewed dictionary (YAML). */
  dictionary?: string;
  /** sync: the key of the keyed rules (never stored). */
  key?: string;
  jobs?: number;
  sampleRows?: number;
}

export class AnonJobInputError extends Error {
  override name = 'AnonJobInputError';
}

/** A copy's progress as stored: the totals and the tables being copied. */
const progressView = (p: CopyProgress) => ({
  phase: p.phase, rows: p.rows, bytes: p.bytes, totalBytes: p.totalBytes, resumed: p.resumed,
  tablesDone: p.tables.filter((t) => t.state === 'done' || t.state === 'skipped').length, tables: p.tables.length,
  copying: p.tables.filter((t) => t.state === 'copying').map((t) => ({ name: t.name, rows: t.rows, bytes: t.bytes, totalBytes: t.totalBytes })),
});

export class AnonJobService {
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  /** `storeUrl`: the store's server, which no job may read or write. */
  constructor(private readonly store: Store, private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void = () => {}, private readonly storeUrl?: string) {}

  /** A URI a job may use: every part explicit (the server's PG* variables fill none), not the store's server. */
  private checkUri(uri: string, what: string): { host: string; port: number; database: string } {
    let e: ReturnType<typeof explicitUri>;
    try { e = explicitUri(uri, what); } catch (err) { throw new AnonJobInputError((err as AnonError).message); }
    if (this.storeUrl) {
      try {
        const s = new URL(this.storeUrl);
        if (s.hostname && s.hostname.replace(/^\[|\]$/g, '') === e.host && Number(s.port || 5432) === e.port) throw new AnonJobInputError(`${what}: that is the server's own store`);
      } catch (err) { if (err instanceof AnonJobInputError) throw err; }
    }
    return e;
  }

  /** Checks the request, records the job and starts it; resolves with its id once recorded. */
  async start(r: AnonJobRequest): Promise<number> {
    const source = this.checkUri(r.source, 'source');
    if (r.databases.length > 0 && !r.databases.includes(source.database)) {
      throw new AnonJobInputError(`source: ${source.database} is not a database of ${r.instance} (${r.databases.join(', ')})`);
    }
    let dictionary: Dictionary | undefined;
    if (r.kind === 'sync') {
      if (!r.target) throw new AnonJobInputError('target: a PostgreSQL connection URI of an empty database (or of an incomplete copy to finish)');
      this.checkUri(r.target, 'target');
      if (!r.dictionary) throw new AnonJobInputError('dictionary: the reviewed dictionary (YAML), for example a scan job\'s');
      if (!r.key || r.key.length < 16) throw new AnonJobInputError('key: the secret of the keyed rules, at least 16 characters; the same key gives the same copy');
      try { dictionary = parseDictionary(r.dictionary); } catch (err) { throw new AnonJobInputError((err as Error).message); }
    }
    const id = await this.store.anonJobs.create({ kind: r.kind, instance: r.instance, namespace: r.namespace, source: redactUri(r.source), target: r.target ? redactUri(r.target) : null, requestedBy: r.requestedBy });
    const run = (r.kind === 'scan' ? this.scan(id, r) : this.copy(id, r, dictionary!))
      .catch((err) => this.log('error', `anon job ${id}: ${(err as Error).message}`));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return id;
  }

  private async scan(id: number, r: AnonJobRequest): Promise<void> {
    const sql = anonConnection(r.source, { max: 1, strict: true, what: 'source' });
    const onStop = (): void => { void sql.end({ timeout: 0 }).catch(() => {}); };
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    try {
      let last = 0;
      const result = await scanDatabase(sql, {
        sampleRows: r.sampleRows,
        onTable: (done, total, table) => {
          if (Date.now() - last < 1000) return;
          last = Date.now();
          void this.store.anonJobs.progress(id, { tablesDone: done, tables: total, table }).catch(() => {});
        },
      });
      const yaml = dictionaryYaml(result.dictionary, `pgfleet anon scan job ${id} of ${redactUri(r.source)}, ${new Date().toISOString()}\nReview every entry before copying; columns not listed are copied as they are.`);
      await this.store.anonJobs.finish(id, { result: { findings: result.findings, columns: result.columns, tables: result.tables, dictionary: yaml } }, { tablesDone: result.tables, tables: result.tables });
    } catch (err) {
      await this.store.anonJobs.finish(id, { error: this.stopping.signal.aborted ? 'stopped with the server' : (err as Error).message }).catch(() => {});
    } finally {
      this.stopping.signal.removeEventListener('abort', onStop);
      await sql.end({ timeout: 2 }).catch(() => {});
    }
  }

  private async copy(id: number, r: AnonJobRequest, dictionary: Dictionary): Promise<void> {
    let last = 0;
    let latest: CopyProgress | undefined;
    try {
      const report = await anonCopy({
        mode: 'sync', source: r.source, target: r.target, dictionary, key: r.key, jobs: r.jobs ?? 2, signal: this.stopping.signal, strictUris: true,
        onProgress: (p) => {
          latest = p;
          if (Date.now() - last < 1000 && p.phase !== 'done') return;
          last = Date.now();
          void this.store.anonJobs.progress(id, progressView(p)).catch(() => {});
        },
      });
      await this.store.anonJobs.finish(id, { result: report }, latest ? progressView(latest) : undefined);
    } catch (err) {
      const e = err as Error & { problems?: string[] };
      await this.store.anonJobs.finish(id, { error: e.message }, latest ? progressView(latest) : undefined).catch(() => {});
    }
  }

  /** Stops the jobs of this process (the server's stop): each is recorded as failed, a copy's target stays marked incomplete. */
  async stop(): Promise<void> {
    this.stopping.abort('the server stopped');
    await Promise.allSettled([...this.running]);
  }
}
