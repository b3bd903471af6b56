// `/explain`: paste or upload an EXPLAIN plan (TEXT or JSON, psql framing allowed) and read where the
// time went: the hints ranked by what they could save, an icicle graph of exclusive time, the plan as
// a grid with every per-node number (the costliest path marked), and time by table and node type.
// Nothing is stored unless the user saves the plan; two plans of one query can be compared.
import { useEffect, useState, type ChangeEvent } from 'react';
import { analyzeExplain, diffExplain, fetchSavedPlan, savePlan, type ExplainReport, type PlanDiffRow } from '../api.ts';
import { rememberPlan, savedPlans } from '../saved-plans.ts';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { flattenPlan, PlanGrid } from '../components/PlanGrid.tsx';
import { PlanIcicle } from '../components/PlanIcicle.tsx';
import { PlanStats } from '../components/PlanStats.tsx';
import { planMs as ms } from '../plan-format.ts';
import { formatAgo } from '../format.ts';
import { Link, navigate } from '../router.tsx';

export function ExplainPage({ id }: { id?: string }) {
  const [input, setInput] = useState('');
  const [query, setQuery] = useState('');
  const [report, setReport] = useState<ExplainReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [savedAs, setSavedAs] = useState<string | undefined>(id);
  const [other, setOther] = useState('');
  const [diff, setDiff] = useState<{ executionMs: [number | null, number | null]; rows: PlanDiffRow[] } | null>(null);
  const compare = () => {
    setBusy(true);
    diffExplain(input, other).then((d) => { setDiff(d); setError(null); }, (err: unknown) => { setDiff(null); setError(err instanceof Error ? err.message : String(err)); })
      .finally(() => setBusy(false));
  };
  const saved = savedPlans();
  // A saved plan's link: its text in the box, its analysis below.
  useEffect(() => {
    if (!id) return;
    const ctl = new AbortController();
    fetchSavedPlan(id, ctl.signal).then((p) => { setInput(p.plan); setQuery(p.query ?? ''); setReport(p.report); setError(null); },
      (err: unknown) => { if (!ctl.signal.aborted) setError(err instanceof Error ? err.message : String(err)); });
    return () => ctl.abort();
  }, [id]);
  const save = () => {
    setBusy(true);
    savePlan(input, query.trim() || undefined).then((p) => { rememberPlan({ id: p.id, title: p.title, created_at: p.created_at }); setSavedAs(p.id); navigate(`/explain/${p.id}`); }, (err: unknown) => setError(err instanceof Error ? err.message : String(err)))
      .finally(() => setBusy(false));
  };
  const analyze = () => {
    setBusy(true);
    analyzeExplain(input).then((r) => { setReport(r); setError(null); }, (err: unknown) => { setReport(null); setError(err instanceof Error ? err.message : String(err)); })
      .finally(() => setBusy(false));
  };
  /** A plan file read into the box, then analysed. */
  const upload = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    file.text().then((text) => {
      setInput(text);
      setBusy(true);
      return analyzeExplain(text).then((r) => { setReport(r); setError(null); });
    }).catch((err: unknown) => { setReport(null); setError(err instanceof Error ? err.message : String(err)); }).finally(() => setBusy(false));
    e.target.value = '';
  };
  const total = report?.root.inclusiveTime ?? 0;
  const nodes = report ? flattenPlan(report.root) : [];
  return (
    <main className="page">
      <h1>EXPLAIN</h1>
      <p className="muted">Paste or upload the output of EXPLAIN (ANALYZE, BUFFERS) — TEXT or JSON, with or without psql's framing. It is analysed on this server and stored only if you save it; a saved plan is not listed anywhere and opens only by its link.</p>
      <textarea className="plan-input" data-testid="plan-input" value={input} onChange={(e) => setInput(e.target.value)} rows={10} spellCheck={false}
        placeholder="Seq Scan on orders  (cost=0.00..1693.00 rows=100 width=51) (actual time=0.010..9.870 rows=100 loops=1) …" />
      <details className="saved-plans" open={query !== ''}>
        <summary>The query (optional, kept with a saved plan)</summary>
        <textarea className="plan-input" data-testid="query-input" value={query} onChange={(e) => setQuery(e.target.value)} rows={4} spellCheck={false} placeholder="SELECT …" />
      </details>
      <div className="toolbar">
        <label className="button" title="read a plan from a file">Upload…<input type="file" data-testid="plan-file" accept=".txt,.json,.log,.sql,text/plain,application/json" onChange={upload} hidden /></label>
        <button type="button" className="primary" data-testid="analyze" disabled={busy || input.trim() === ''} onClick={analyze}>{busy ? 'analysing…' : 'Analyse'}</button>
        <button type="button" data-testid="save-plan" disabled={busy || input.trim() === ''} onClick={save} title="keep the plan in pgfleet's store and get a link to it">Save and link</button>
        {savedAs && <span className="muted" data-testid="saved-link">link: <Link to={`/explain/${savedAs}`}>{`${window.location.origin}/explain/${savedAs}`}</Link></span>}
      </div>
      {saved.length > 0 && (
        <details className="saved-plans" data-testid="saved-plans">
          <summary>{saved.length} plan{saved.length === 1 ? '' : 's'} saved from this browser (the server lists none: a plan opens only by its link)</summary>
          <ul>{saved.map((p) => <li key={p.id}><Link to={`/explain/${p.id}`}>{p.title}</Link> <span className="muted">{formatAgo(p.created_at, Date.now())}</span></li>)}</ul>
        </details>
      )}
      <details className="saved-plans">
        <summary>Compare with another plan of the same query</summary>
        <textarea className="plan-input" data-testid="plan-input-b" value={other} onChange={(e) => setOther(e.target.value)} rows={8} spellCheck={false} placeholder="the other plan" />
        <button type="button" data-testid="compare" disabled={busy || input.trim() === '' || other.trim() === ''} onClick={compare}>Compare</button>
      </details>
      {error && <ErrorBanner message={error} />}
      {diff && (
        <>
          <h3 className="section">Plan A ({ms(diff.executionMs[0])}) against plan B ({ms(diff.executionMs[1])})</h3>
          <div className="table-wrap">
            <table className="fleet statements" data-testid="plan-diff">
              <thead><tr><th>plan A</th><th className="num">itself</th><th>plan B</th><th className="num">itself</th><th className="num">B − A</th></tr></thead>
              <tbody>
                {diff.rows.map((r, i) => (
                  <tr key={i} data-testid="diff-row" data-status={r.status} className={r.status === 'same' ? undefined : 'row-warn'}>
                    <td style={{ paddingLeft: 8 + r.depth * 18 }}>{r.a ? <>{r.a.label}{r.a.target ? <> on <code>{r.a.target}</code></> : null}</> : <span className="muted">—</span>}</td>
                    <td className="num">{r.a ? ms(r.a.exclusiveMs) : ''}</td>
                    <td style={{ paddingLeft: 8 + r.depth * 18 }}>{r.b ? <>{r.b.label}{r.b.target ? <> on <code>{r.b.target}</code></> : null}</> : <span className="muted">—</span>}</td>
                    <td className="num">{r.b ? ms(r.b.exclusiveMs) : ''}</td>
                    <td className="num">{r.deltaMs === null ? '' : `${r.deltaMs > 0 ? '+' : ''}${ms(r.deltaMs)}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {report && (
        <>
          {report.warnings.map((w) => <div key={w} className="banner warn" data-testid="plan-warning">{w}</div>)}
          <div className="store-summary" data-testid="explain-summary">
            <div><dt>execution</dt><dd>{ms(report.executionTime)}</dd></div>
            <div><dt>planning</dt><dd>{ms(report.planningTime)}</dd></div>
            <div><dt>nodes</dt><dd>{nodes.length}</dd></div>
            <div><dt>hints</dt><dd>{report.hints.length}</dd></div>
          </div>
          <h3 className="section">Hints, largest saving first</h3>
          {report.hints.length === 0 ? <p className="muted" data-testid="no-hints">Nothing stands out in this plan.</p> : (
            <ol className="hints" data-testid="hints">
              {report.hints.map((h, i) => (
                <li key={i} data-code={h.code}>
                  <strong>{h.message}</strong>{h.savingMs > 0 && <span className="tag">could save ≈ {ms(h.savingMs)}</span>}
                  <div className="muted">{h.advice}</div>
                </li>
              ))}
            </ol>
          )}
          {total > 0 && (<><h3 className="section">Where the time went (width: time with children; shade: time in the node itself)</h3><PlanIcicle root={report.root} total={total} /></>)}
          <h3 className="section">Plan <span className="muted">(click a node for all it printed; blocks and throughput are the node's own)</span></h3>
          <PlanGrid root={report.root} total={total} />
          <h3 className="section">Time by table and node type</h3>
          <PlanStats report={report} />
        </>
      )}
    </main>
  );
}
