// `/explain`: paste an EXPLAIN plan (TEXT or JSON, psql framing allowed) and read where the time went:
// the hints ranked by what they could save, an icicle graph of exclusive time, and the tree with
// each node's time, rows and estimate; the costliest path is marked. Nothing is stored.
import { useEffect, useState } from 'react';
import { analyzeExplain, diffExplain, fetchSavedPlan, fetchSavedPlans, savePlan, type ExplainNode, type ExplainReport, type PlanDiffRow } from '../api.ts';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { formatAgo } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { useFetch } from '../use-fetch.ts';

interface Flat { node: ExplainNode; depth: number; id: string; hot: boolean }

/** Depth-first, with the path from the root along the child of largest inclusive time marked hot. */
function flatten(root: ExplainNode): Flat[] {
  const out: Flat[] = [];
  const walk = (n: ExplainNode, depth: number, id: string, hot: boolean) => {
    out.push({ node: n, depth, id, hot });
    const heaviest = n.children.reduce<ExplainNode | null>((m, c) => ((c.inclusiveTime ?? -1) > (m?.inclusiveTime ?? -1) ? c : m), null);
    n.children.forEach((c, i) => walk(c, depth + 1, `${id}.${i}`, hot && c === heaviest));
    return out;
  };
  return walk(root, 0, '0', true);
}

const ms = (v: number | null): string => (v === null ? '—' : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(v >= 1 ? 2 : 3)} ms`);
const factor = (n: ExplainNode): string => {
  if (n.actualRows === null || n.planRows === null || n.loops === 0) return '';
  const f = Math.max(n.planRows, 1) / Math.max(n.actualRows, 1);
  return f >= 10 ? `↓${Math.round(f)}×` : f <= 0.1 ? `↑${Math.round(1 / f)}×` : '';
};

/** Icicle: each node a block as wide as its inclusive time, children under their parent. */
function Icicle({ root, total }: { root: ExplainNode; total: number }) {
  const rows: { node: ExplainNode; left: number; width: number }[][] = [];
  const place = (n: ExplainNode, depth: number, left: number) => {
    const width = total > 0 ? (n.inclusiveTime ?? 0) / total : 0;
    (rows[depth] ??= []).push({ node: n, left, width });
    let at = left;
    for (const c of n.children) {
      // A CTE's time runs inside its scans: drawn with them, it would be counted twice.
      if (c.subplanName?.startsWith('CTE ')) continue;
      place(c, depth + 1, at);
      at += total > 0 ? (c.inclusiveTime ?? 0) / total : 0;
    }
  };
  place(root, 0, 0);
  return (
    <div className="icicle" data-testid="icicle">
      {rows.map((row, d) => (
        <div key={d} className="icicle-row">
          {row.filter((b) => b.width > 0.002).map((b, i) => (
            <div key={i} className="icicle-block" data-testid="icicle-block" style={{ left: `${b.left * 100}%`, width: `${b.width * 100}%`,
              opacity: 0.35 + 0.65 * Math.min(1, (b.node.exclusiveTime ?? 0) / Math.max(total * 0.2, 1e-9)) }}
              title={`${b.node.label}${b.node.relationName ? ` on ${b.node.relationName}` : ''}: ${ms(b.node.inclusiveTime)} in all, ${ms(b.node.exclusiveTime)} itself`}>
              <span>{b.node.label}{b.node.relationName ? ` ${b.node.relationName}` : ''}</span>
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}

export function ExplainPage({ id }: { id?: string }) {
  const [input, setInput] = useState('');
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
  const saved = useFetch((signal) => fetchSavedPlans(signal), [savedAs]);
  // A saved plan's link: its text in the box, its analysis below.
  useEffect(() => {
    if (!id) return;
    const ctl = new AbortController();
    fetchSavedPlan(id, ctl.signal).then((p) => { setInput(p.plan); setReport(p.report); setError(null); },
      (err: unknown) => { if (!ctl.signal.aborted) setError(err instanceof Error ? err.message : String(err)); });
    return () => ctl.abort();
  }, [id]);
  const save = () => {
    setBusy(true);
    savePlan(input).then((p) => { setSavedAs(p.id); navigate(`/explain/${p.id}`); }, (err: unknown) => setError(err instanceof Error ? err.message : String(err)))
      .finally(() => setBusy(false));
  };
  const analyze = () => {
    setBusy(true);
    analyzeExplain(input).then((r) => { setReport(r); setError(null); }, (err: unknown) => { setReport(null); setError(err instanceof Error ? err.message : String(err)); })
      .finally(() => setBusy(false));
  };
  const total = report?.root.inclusiveTime ?? 0;
  const nodes = report ? flatten(report.root) : [];
  return (
    <main className="page">
      <h1>EXPLAIN</h1>
      <p className="muted">Paste the output of EXPLAIN (ANALYZE, BUFFERS) — TEXT or JSON, with or without psql's framing. It is analysed on this server and not stored.</p>
      <textarea className="plan-input" data-testid="plan-input" value={input} onChange={(e) => setInput(e.target.value)} rows={10} spellCheck={false}
        placeholder="Seq Scan on orders  (cost=0.00..1693.00 rows=100 width=51) (actual time=0.010..9.870 rows=100 loops=1) …" />
      <div className="toolbar">
        <button type="button" className="primary" data-testid="analyze" disabled={busy || input.trim() === ''} onClick={analyze}>{busy ? 'analysing…' : 'Analyse'}</button>
        <button type="button" data-testid="save-plan" disabled={busy || input.trim() === ''} onClick={save} title="keep the plan in pgfleet's store and get a link to it">Save and link</button>
        {savedAs && <span className="muted" data-testid="saved-link">link: <Link to={`/explain/${savedAs}`}>{`${window.location.origin}/explain/${savedAs}`}</Link></span>}
      </div>
      {(saved.data?.plans.length ?? 0) > 0 && (
        <details className="saved-plans" data-testid="saved-plans">
          <summary>{saved.data!.plans.length} saved plan{saved.data!.plans.length === 1 ? '' : 's'}</summary>
          <ul>{saved.data!.plans.map((p) => <li key={p.id}><Link to={`/explain/${p.id}`}>{p.title}</Link> <span className="muted">{formatAgo(p.created_at, Date.now())}</span></li>)}</ul>
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
          {total > 0 && (<><h3 className="section">Where the time went (width: time with children; shade: time in the node itself)</h3><Icicle root={report.root} total={total} /></>)}
          <h3 className="section">Plan</h3>
          <div className="table-wrap">
            <table className="fleet statements" data-testid="plan-tree">
              <thead><tr><th>node</th><th className="num">itself</th><th className="num">share</th><th className="num">with children</th><th className="num">rows</th><th className="num">planned</th><th className="num">loops</th></tr></thead>
              <tbody>
                {nodes.map(({ node: n, depth, id, hot }) => (
                  <tr key={id} data-testid="plan-node" data-hot={hot ? 'true' : 'false'} className={hot ? 'hot-path' : undefined}>
                    <td style={{ paddingLeft: 8 + depth * 18 }}>
                      {n.subplanName && <span className="muted">{n.subplanName}: </span>}<strong>{n.label}</strong>
                      {n.relationName && <> on <code>{n.relationName}</code></>}{n.indexName && <> using <code>{n.indexName}</code></>}
                      {n.uncertain && <span className="tag" title="the split of time between this node and its children is not exact">≈</span>}
                    </td>
                    <td className="num">{ms(n.exclusiveTime)}</td>
                    <td className="num">
                      {total > 0 && n.exclusiveTime !== null && <span className="share-bar"><i style={{ width: `${(n.exclusiveTime / total) * 100}%` }} /></span>}
                      {total > 0 && n.exclusiveTime !== null ? `${((n.exclusiveTime / total) * 100).toFixed(1)} %` : ''}
                    </td>
                    <td className="num">{ms(n.inclusiveTime)}</td>
                    <td className="num">{n.actualRows ?? '—'} <small className="warn-text">{factor(n)}</small></td>
                    <td className="num">{n.planRows ?? '—'}</td>
                    <td className="num">{n.loops ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </main>
  );
}
