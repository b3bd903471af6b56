// `/instances/:id/queries/:queryid`: one statement's text and how it behaved over the window.
// One request feeds every chart of the page.
import { fetchStatement, type StatementHistory } from '../api.ts';
import { ChartCard } from '../components/ChartCard.tsx';
import { pointBudget } from '../components/ChartPanel.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { InstanceLayout, type InstanceView } from '../components/InstanceLayout.tsx';
import { formatBytes, formatNumber, formatSeconds } from '../format.ts';
import { currentSearch, instancePath, Link } from '../router.tsx';
import { statementSeries } from '../statement-series.ts';
import { useFetch } from '../use-fetch.ts';

function totals(h: StatementHistory): Record<string, number> {
  const t: Record<string, number> = {};
  for (const p of h.points) for (const [k, v] of Object.entries(p.counters)) t[k] = (t[k] ?? 0) + v;
  return t;
}

function QueryView({ id, queryid, view }: { id: string; queryid: string; view: InstanceView }) {
  const { from, to, onZoom } = view;
  // Half the page wide, as on the dashboard's two-column grid.
  const maxPoints = pointBudget(Math.round(window.innerWidth / 2));
  const h = useFetch((signal) => fetchStatement(id, queryid, { from, to, maxPoints }, signal), [id, queryid, from, to, maxPoints]);
  const t = h.data ? totals(h.data) : null;
  const back = `${instancePath(id, 'queries')}?${currentSearch()}`;
  return (
    <>
      {h.error && <ErrorBanner message={h.error} />}
      <section className="card query-text" data-testid="query-text">
        <div className="card-head">
          <h3>queryid {queryid}</h3>
          <Link to={back}>← all queries</Link>
        </div>
        <pre>{h.data ? (h.data.text ?? 'The agent sent no text for this queryid (its text is sent once, with the first statistics).') : 'loading…'}</pre>
        {t && (
          <dl className="figures" data-testid="query-totals">
            <div><dt>calls</dt><dd>{formatNumber(t.calls ?? 0)}</dd></div>
            <div><dt>total time</dt><dd>{formatSeconds((t.total_exec_time ?? 0) / 1000)}</dd></div>
            <div><dt>mean</dt><dd>{t.calls ? formatSeconds(t.total_exec_time / t.calls / 1000) : '—'}</dd></div>
            <div><dt>rows</dt><dd>{formatNumber(t.rows ?? 0)}</dd></div>
            <div><dt>shared hit / read</dt><dd>{formatNumber(t.shared_blks_hit ?? 0)} / {formatNumber(t.shared_blks_read ?? 0)}</dd></div>
            <div><dt>temp written</dt><dd>{formatNumber(t.temp_blks_written ?? 0)}</dd></div>
            <div><dt>WAL</dt><dd>{formatBytes(t.wal_bytes ?? 0)}</dd></div>
          </dl>
        )}
      </section>
      <div className="chart-grid">
        {(h.data ? statementSeries(h.data) : statementSeries({ instance: id, queryid, text: null, from, to, step_ms: 0, points: [] })).map((c) => (
          <ChartCard
            key={c.slug} slug={c.slug} title={c.title} unit={c.unit}
            data={h.data ? c.data : null} error={h.error}
            emptyText="the statement did not run in this window"
            from={from} to={to} onZoom={onZoom}
          />
        ))}
      </div>
      <section className="card" data-testid="query-plans">
        <h3>Plans</h3>
        <p className="muted">No plans are captured for this statement yet: plan capture (auto_explain) and the EXPLAIN analyzer arrive with their own module.</p>
      </section>
    </>
  );
}

export function QueryPage({ id, queryid }: { id: string; queryid: string }) {
  return (
    <InstanceLayout id={id} tab="queries" title={`query ${queryid}`}>
      {(view) => <QueryView id={id} queryid={queryid} view={view} />}
    </InstanceLayout>
  );
}
