// Anonymization jobs: scans that find personal data (their dictionary to review and download) and
// masked copies (their progress and report), started against a registered instance's database.
import { useState } from 'react';
import { hasRole } from '../actions.ts';
import { fetchAnonJob, fetchAnonJobs, jobFraction, jobSummary, startAnonJob, type AnonJob, type CopyReport, type ScanResult } from '../anon-jobs.ts';
import { fetchInstances, type Instance } from '../api.ts';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { useNow } from '../live.ts';
import { useMe } from '../me.ts';
import { instancePath, Link } from '../router.tsx';
import { useFetch } from '../use-fetch.ts';

const when = (t: number | null): string => (t === null ? '—' : new Date(t).toLocaleString());
const secs = (ms: number): string => (ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);
const statusClass = (s: AnonJob['status']): string => (s === 'done' ? 'ok-text' : s === 'running' ? 'muted' : 'warn-text');

function Progress({ job }: { job: AnonJob }) {
  const f = jobFraction(job);
  return (
    <span className="anon-progress" data-testid="anon-progress" data-fraction={f ?? ''}>
      {job.status === 'running' && <span className="bar"><span style={{ width: `${Math.round((f ?? 0) * 100)}%` }} /></span>}
      <small className={job.status === 'running' ? 'muted' : statusClass(job.status)}>{jobSummary(job)}</small>
    </span>
  );
}

function ScanView({ r, id }: { r: ScanResult; id: number }) {
  const href = `data:text/yaml;charset=utf-8,${encodeURIComponent(r.dictionary)}`;
  const columns: Column<ScanResult['findings'][number]>[] = [
    { key: 'column', label: 'column', value: (f) => `${f.schema}.${f.table}.${f.column}`, cell: (f) => <code>{f.schema}.{f.table}.{f.column}</code> },
    { key: 'kind', label: 'holds', value: (f) => f.kind },
    { key: 'rule', label: 'rule', value: (f) => f.rule.rule, cell: (f) => <code title={JSON.stringify(f.rule)}>{f.rule.rule === 'fake' ? `fake ${f.rule.kind}` : f.rule.rule}</code> },
    { key: 'confidence', label: 'confidence', value: (f) => f.confidence },
    { key: 'evidence', label: 'evidence', value: (f) => f.evidence, cell: (f) => <small className="muted">{f.evidence}{f.from === 'foreign key' ? ' (foreign key)' : ''}</small> },
  ];
  return (
    <div data-testid="anon-scan-result">
      <p>{r.findings.length} of {r.columns} columns in {r.tables} tables hold personal data. Review each rule, then copy with the dictionary below; columns it does not list are copied as they are.</p>
      <DataTable testid="anon-findings" rows={r.findings} columns={columns} rowKey={(f) => `${f.schema}.${f.table}.${f.column}`} initialSort="column" empty="No personal data found." />
      <div className="toolbar"><a className="act" href={href} download={`dictionary-${id}.yaml`} data-testid="anon-dictionary-download">Download the dictionary (YAML)</a></div>
      <pre className="statement anon-dictionary" data-testid="anon-dictionary">{r.dictionary}</pre>
    </div>
  );
}

function CopyView({ r }: { r: CopyReport }) {
  const columns: Column<CopyReport['tables'][number]>[] = [
    { key: 'name', label: 'table', value: (t) => t.name, cell: (t) => <code>{t.name}</code> },
    { key: 'rows', label: 'rows', num: true, value: (t) => t.rows },
    { key: 'mb', label: 'MB', num: true, value: (t) => t.bytes, cell: (t) => (t.bytes / 1e6).toFixed(1) },
    { key: 'time', label: 'time', num: true, value: (t) => t.ms, cell: (t) => (t.skipped ? 'skipped' : t.fromEarlierRun ? 'earlier run' : secs(t.ms)) },
    { key: 'masked', label: 'masked columns', value: (t) => Object.keys(t.masked).length, cell: (t) => <small>{Object.entries(t.masked).map(([c, rule]) => `${c}: ${rule}`).join(', ') || '—'}{t.subset ? ' (subset)' : ''}</small> },
  ];
  return (
    <div data-testid="anon-copy-report">
      <p>{r.rows} rows, {(r.bytes / 1e6).toFixed(1)} MB in {secs(r.durationMs)} ({r.rowsPerS} rows/s, {r.mbPerS} MB/s){r.resumed ? ', finishing an earlier incomplete copy' : ''}.
        Columns by rule: {Object.entries(r.rules).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}.</p>
      <DataTable testid="anon-report-tables" rows={r.tables} columns={columns} rowKey={(t) => t.name} initialSort="name" empty="No table." />
    </div>
  );
}

function JobDetail({ id }: { id: number }) {
  // Read again every 2 s while the job runs (it may end between two reads of the list), once more when it ends.
  const now = useNow(2000);
  const [running, setRunning] = useState(true);
  const j = useFetch((signal) => fetchAnonJob(id, signal).then((job) => { setRunning(job.status === 'running'); return job; }), [id, running ? Math.floor(now / 2000) : -1]);
  if (j.error) return <ErrorBanner message={j.error} />;
  if (!j.data) return <p className="muted">loading…</p>;
  const job = j.data;
  return (
    <section className="card" data-testid="anon-job" data-status={job.status}>
      <h3>Job {job.id}: {job.kind === 'scan' ? 'scan' : 'masked copy'} of {job.source}{job.target ? ` into ${job.target}` : ''}</h3>
      <p><Progress job={job} /></p>
      {job.status === 'done' && job.kind === 'scan' && <ScanView r={job.result as ScanResult} id={job.id} />}
      {job.status === 'done' && job.kind === 'sync' && <CopyView r={job.result as CopyReport} />}
      {job.status === 'failed' && <pre className="statement warn-text" data-testid="anon-job-error">{job.error}</pre>}
    </section>
  );
}

function NewJob({ instances, scans, onStarted }: { instances: Instance[]; scans: AnonJob[]; onStarted: (id: number) => void }) {
  const me = useMe();
  const mine = instances.filter((i) => hasRole(me, 'admin', i.namespace));
  const [kind, setKind] = useState<'scan' | 'sync'>('scan');
  const [instance, setInstance] = useState('');
  const [source, setSource] = useState('');
  const [target, setTarget] = useState('');
  const [dictionary, setDictionary] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (mine.length === 0) return null;
  const chosen = instance || mine[0].id;
  const useScan = (id: number) => {
    fetchAnonJob(id).then((j) => setDictionary((j.result as ScanResult).dictionary), (err: Error) => setError(err.message));
  };
  const submit = () => {
    setBusy(true);
    setError(null);
    startAnonJob(chosen, kind === 'scan' ? { kind, source } : { kind, source, target, dictionary, key })
      .then((j) => { setKey(''); onStarted(j.id); }, (err: Error) => setError(err.message)).finally(() => setBusy(false));
  };
  return (
    <details className="card" data-testid="anon-new" open>
      <summary><strong>New job</strong> <small className="muted">(admins of the instance's namespace)</small></summary>
      <div className="form-grid">
        <label>what
          <select value={kind} onChange={(e) => setKind(e.target.value as 'scan' | 'sync')} data-testid="anon-kind">
            <option value="scan">scan: find personal data, make a dictionary to review</option>
            <option value="sync">masked copy into another database</option>
          </select>
        </label>
        <label>instance
          <select value={chosen} onChange={(e) => setInstance(e.target.value)} data-testid="anon-instance">{mine.map((i) => <option key={i.id} value={i.id}>{i.id}</option>)}</select>
        </label>
        <label>source database <input value={source} onChange={(e) => setSource(e.target.value)} placeholder="postgresql://reader:password@host:5432/shop" data-testid="anon-source" className="anon-uri" spellCheck={false} />
          <small className="muted">read access is enough; the password is used for this job only, never stored</small></label>
        {kind === 'sync' && (
          <>
            <label>target database <input value={target} onChange={(e) => setTarget(e.target.value)} placeholder="postgresql://me:password@test-host:5432/shop_masked" data-testid="anon-target" className="anon-uri" spellCheck={false} />
              <small className="muted">an empty database, or an incomplete copy to finish</small></label>
            <label>dictionary (YAML)
              {scans.length > 0 && (
                <select value="" onChange={(e) => e.target.value && useScan(Number(e.target.value))} data-testid="anon-use-scan">
                  <option value="">take a scan's…</option>
                  {scans.map((s) => <option key={s.id} value={s.id}>scan {s.id} of {s.source}</option>)}
                </select>
              )}
              <textarea rows={8} value={dictionary} onChange={(e) => setDictionary(e.target.value)} data-testid="anon-dictionary-input" spellCheck={false} />
            </label>
            <label>key <input type="password" value={key} onChange={(e) => setKey(e.target.value)} placeholder="16+ characters; the same key gives the same copy" data-testid="anon-key" className="anon-uri" autoComplete="off" /></label>
          </>
        )}
      </div>
      {error && <p className="warn-text" data-testid="anon-error">{error}</p>}
      <div className="toolbar"><button type="button" className="primary" disabled={busy || !source} onClick={submit} data-testid="anon-start">{kind === 'scan' ? 'Scan' : 'Copy with masking'}</button></div>
    </details>
  );
}

export function AnonPage() {
  const now = useNow(2000);
  const [open, setOpen] = useState<number | null>(null);
  const [version, setVersion] = useState(0);
  const jobs = useFetch((signal) => fetchAnonJobs(signal), [version]);
  const running = (jobs.data ?? []).some((j) => j.status === 'running');
  // While a job runs, the list is read every 2 s (the open job reads itself).
  const tick = running ? Math.floor(now / 2000) : 0;
  const live = useFetch((signal) => (running ? fetchAnonJobs(signal) : Promise.resolve(null)), [tick]);
  const list = live.data ?? jobs.data ?? [];
  const instances = useFetch((signal) => fetchInstances(signal), []);
  const columns: Column<AnonJob>[] = [
    { key: 'id', label: 'job', num: true, value: (j) => j.id, cell: (j) => <button type="button" className="act" data-testid="anon-open" onClick={() => setOpen(open === j.id ? null : j.id)}>#{j.id}</button> },
    { key: 'kind', label: 'kind', value: (j) => j.kind, cell: (j) => (j.kind === 'scan' ? 'scan' : 'masked copy') },
    { key: 'instance', label: 'instance', value: (j) => j.instance, cell: (j) => <Link to={instancePath(j.instance)}>{j.instance}</Link> },
    { key: 'source', label: 'source → target', value: (j) => j.source, cell: (j) => <small><code>{j.source}</code>{j.target && <> → <code>{j.target}</code></>}</small> },
    { key: 'status', label: 'status', value: (j) => j.status, cell: (j) => <span className={statusClass(j.status)} data-testid="anon-status">{j.status}</span> },
    { key: 'progress', label: 'progress', value: (j) => jobFraction(j) ?? null, cell: (j) => <Progress job={j} /> },
    { key: 'started', label: 'started', num: true, value: (j) => j.startedAt, cell: (j) => when(j.startedAt) },
    { key: 'by', label: 'by', value: (j) => j.requestedBy, cell: (j) => <span className="muted">{j.requestedBy}</span> },
  ];
  return (
    <main className="page" data-testid="anon-page">
      <h1>Anonymize</h1>
      <p className="muted">Find the personal data in a database, review the dictionary the scan writes, then copy the database with it masked: one snapshot of the source, keys and foreign keys kept, the same key giving the same copy. <code>pgfleet anon</code> does the same from a shell.</p>
      {jobs.error && <ErrorBanner message={jobs.error} />}
      <NewJob instances={instances.data ?? []} scans={list.filter((j) => j.kind === 'scan' && j.status === 'done')} onStarted={(id) => { setOpen(id); setVersion((v) => v + 1); }} />
      <h3 className="section">Jobs</h3>
      <DataTable testid="anon-jobs" rows={list} columns={columns} rowKey={(j) => String(j.id)} initialSort="started" empty={jobs.data ? 'No job yet.' : 'loading…'} />
      {open !== null && <JobDetail key={open} id={open} />}
    </main>
  );
}
