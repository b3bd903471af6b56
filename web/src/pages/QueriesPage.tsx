// `/instances/:id/queries`: the statements that cost the most in the window, by the chosen measure.
import { useState } from 'react';
import { fetchStatements, STATEMENT_SORTS, type CollectorState, type StatementRow, type StatementSort } from '../api.ts';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { InstanceLayout } from '../components/InstanceLayout.tsx';
import { formatBytes, formatNumber, formatSeconds } from '../format.ts';
import { currentSearch, Link, queryPath, setSearchParam } from '../router.tsx';
import { useFetch } from '../use-fetch.ts';

const LIMIT = 50;

const COLUMNS: { sort: StatementSort; label: string; cell: (s: StatementRow) => string }[] = [
  { sort: 'total_exec_time', label: 'total time', cell: (s) => formatSeconds(s.counters.total_exec_time / 1000) },
  { sort: 'mean_exec_time', label: 'mean', cell: (s) => formatSeconds(s.mean_exec_time / 1000) },
  { sort: 'calls', label: 'calls', cell: (s) => formatNumber(s.counters.calls) },
  { sort: 'rows', label: 'rows', cell: (s) => formatNumber(s.counters.rows) },
  { sort: 'shared_blks_read', label: 'shared read', cell: (s) => formatNumber(s.counters.shared_blks_read) },
  { sort: 'temp_blks_written', label: 'temp written', cell: (s) => formatNumber(s.counters.temp_blks_written) },
  { sort: 'wal_bytes', label: 'WAL', cell: (s) => formatBytes(s.counters.wal_bytes) },
];

function sortFromUrl(): StatementSort {
  const s = new URLSearchParams(currentSearch()).get('sort');
  return (STATEMENT_SORTS as readonly string[]).includes(s ?? '') ? (s as StatementSort) : 'total_exec_time';
}

/** Why there are no statements, from what the agent reports about its pg_stat_statements collector. */
export function noStatementsText(collectors: CollectorState[]): string {
  const c = collectors.find((x) => x.id === 'pg_stat_statements');
  if (!c) return 'The agent reports no pg_stat_statements collector for this instance (it is off when the agent runs with --statements-interval-s 0).';
  if (c.state === 'skipped' || c.state === 'failing' || c.state === 'backoff') {
    const why = c.note ?? c.last_error ?? c.state;
    return `pg_stat_statements is not available on this instance: ${why}. To enable it, add pg_stat_statements to shared_preload_libraries, restart PostgreSQL, and run CREATE EXTENSION pg_stat_statements in one database.`;
  }
  return 'No statement ran in this window (the agent sends statistics once a minute by default).';
}

function QueriesTable({ id, from, to, collectors }: { id: string; from: number; to: number; collectors: CollectorState[] }) {
  const [sort, setSort] = useState<StatementSort>(sortFromUrl);
  const top = useFetch((signal) => fetchStatements(id, { from, to, sort, limit: LIMIT }, signal), [id, from, to, sort]);
  const choose = (s: StatementSort): void => {
    setSort(s);
    setSearchParam('sort', s);
  };
  const rows = top.data?.statements ?? [];
  return (
    <>
      {top.error && <ErrorBanner message={top.error} />}
      <div className="table-wrap">
        <table className="fleet statements" data-testid="statements" data-state={top.data ? (rows.length ? 'ready' : 'empty') : 'loading'} data-sort={sort}>
          <thead>
            <tr>
              <th>query</th>
              <th>database / role</th>
              {COLUMNS.map((c) => (
                <th key={c.sort} className="num">
                  <button type="button" className={c.sort === sort ? 'sort active' : 'sort'} aria-pressed={c.sort === sort} data-sort={c.sort} onClick={() => choose(c.sort)}>
                    {c.label}{c.sort === sort ? ' ▾' : ''}
                  </button>
                </th>
              ))}
              <th className="num">share of time</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={`${s.queryid}|${s.datname}|${s.usename}|${s.toplevel}`} data-testid="statement-row" data-queryid={s.queryid}>
                <td className="query-cell">
                  <Link to={`${queryPath(id, s.queryid)}?${currentSearch()}`} className="query-link">
                    <code>{s.text ?? `queryid ${s.queryid} (no text sent)`}</code>
                  </Link>
                  {!s.toplevel && <span className="tag" title="run inside a function">nested</span>}
                </td>
                <td className="muted">{s.datname} / {s.usename}</td>
                {COLUMNS.map((c) => <td key={c.sort} className="num" data-col={c.sort}>{c.cell(s)}</td>)}
                <td className="num">
                  <span className="share" title={`${(s.time_share * 100).toFixed(1)} % of the execution time`}>
                    <span style={{ width: `${Math.min(100, s.time_share * 100)}%` }} />
                  </span>
                  {(s.time_share * 100).toFixed(1)} %
                </td>
              </tr>
            ))}
            {top.data && rows.length === 0 && (
              <tr><td colSpan={COLUMNS.length + 3} className="empty-row" data-testid="statements-empty">{noStatementsText(collectors)}</td></tr>
            )}
            {!top.data && !top.error && <tr><td colSpan={COLUMNS.length + 3} className="empty-row">loading…</td></tr>}
          </tbody>
        </table>
      </div>
      {top.data && rows.length > 0 && (
        <p className="store-note">
          {formatNumber(top.data.total.calls)} calls, {formatSeconds(top.data.total.total_exec_time / 1000)} of execution in the window; the {rows.length} most costly by {COLUMNS.find((c) => c.sort === sort)?.label}.
        </p>
      )}
    </>
  );
}

export function QueriesPage({ id }: { id: string }) {
  return (
    <InstanceLayout id={id} tab="queries">
      {({ detail, from, to }) => <QueriesTable id={id} from={from} to={to} collectors={detail.collectors} />}
    </InstanceLayout>
  );
}
