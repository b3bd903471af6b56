// `/instances/:id/activity`: the wait-event timeline from sampled sessions, and the statements
// that were active the longest, split by what they waited on.
import { useState } from 'react';
import { ACTIVITY_GROUPS, fetchActivity, fetchActivityTop, type ActivityGroup } from '../api.ts';
import { activitySeries } from '../activity-series.ts';
import { ChartCard } from '../components/ChartCard.tsx';
import { pointBudget } from '../components/ChartPanel.tsx';
import { SessionsPanel } from '../components/SessionsPanel.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { InstanceLayout, type InstanceView } from '../components/InstanceLayout.tsx';
import { formatSeconds } from '../format.ts';
import { currentSearch, Link, queryPath, setSearchParam } from '../router.tsx';
import { useFetch } from '../use-fetch.ts';

const GROUP_LABELS: Record<ActivityGroup, string> = {
  wait_event_type: 'wait type', wait_event: 'wait event', state: 'state', queryid: 'query',
  datname: 'database', usename: 'role', backend_type: 'backend type',
};

/** Colours of the waits bar, in order of the waits' size. */
const BAR_COLOURS = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#84cc16', '#ec4899'];

function groupFromUrl(): ActivityGroup {
  const g = new URLSearchParams(currentSearch()).get('by');
  return (ACTIVITY_GROUPS as readonly string[]).includes(g ?? '') ? (g as ActivityGroup) : 'wait_event_type';
}

function noActivityText(view: InstanceView): string {
  const c = view.detail.collectors.find((x) => x.id === 'pg_stat_activity_sampler');
  if (!c) return 'The agent reports no session sampler for this instance (it is off when the agent runs with --activity-interval-s 0).';
  if (c.state !== 'ok') return `The session sampler is ${c.state}: ${c.note ?? c.last_error ?? 'no reason given'}.`;
  return 'No session was active in this window (idle sessions are not sampled).';
}

function ActivityView({ id, view }: { id: string; view: InstanceView }) {
  const { from, to, onZoom } = view;
  const [by, setBy] = useState<ActivityGroup>(groupFromUrl);
  const [active, setActive] = useState(true);
  const maxPoints = pointBudget(window.innerWidth);
  const timeline = useFetch((signal) => fetchActivity(id, { from, to, by, active, maxPoints }, signal), [id, from, to, by, active, maxPoints]);
  const top = useFetch((signal) => fetchActivityTop(id, { from, to, limit: 20 }, signal), [id, from, to]);
  const choose = (g: ActivityGroup): void => {
    setBy(g);
    setSearchParam('by', g);
  };
  const rows = top.data?.statements ?? [];
  const longest = rows.reduce((m, s) => Math.max(m, s.active_ms), 0);
  return (
    <>
      <div className="toolbar">
        <span className="muted">sessions by</span>
        <div className="segmented" role="group" aria-label="group sessions by">
          {ACTIVITY_GROUPS.map((g) => (
            <button key={g} type="button" data-by={g} className={g === by ? 'active' : ''} aria-pressed={g === by} onClick={() => choose(g)}>
              {GROUP_LABELS[g]}
            </button>
          ))}
        </div>
        <label className="live-toggle">
          <input type="checkbox" checked={!active} onChange={(e) => setActive(!e.target.checked)} data-testid="all-states" />
          also idle in transaction and other states
        </label>
      </div>
      <div className="wide-chart">
        <ChartCard
          slug="activity" title={`Average ${active ? 'active ' : ''}sessions by ${GROUP_LABELS[by]}`} unit="sessions" stacked
          data={timeline.data ? activitySeries(timeline.data) : null} error={timeline.error}
          emptyText={noActivityText(view)} from={from} to={to} onZoom={onZoom}
        />
      </div>
      {top.error && <ErrorBanner message={top.error} />}
      <h3 className="section">Statements with the most active time</h3>
      <div className="table-wrap">
        <table className="fleet statements" data-testid="activity-top" data-state={top.data ? (rows.length ? 'ready' : 'empty') : 'loading'}>
          <thead>
            <tr><th>query</th><th className="num">active time</th><th>what it waited on</th></tr>
          </thead>
          <tbody>
            {rows.map((s) => {
              const waits = Object.entries(s.waits).sort((a, b) => b[1] - a[1]);
              return (
                <tr key={s.queryid} data-testid="activity-row" data-queryid={s.queryid}>
                  <td className="query-cell">
                    <Link to={`${queryPath(id, s.queryid)}?${currentSearch()}`} className="query-link">
                      <code>{s.text ?? `queryid ${s.queryid}`}</code>
                    </Link>
                  </td>
                  <td className="num">{formatSeconds(s.active_ms / 1000)}</td>
                  <td className="waits-cell">
                    <span className="waits-bar" style={{ width: `${longest ? (s.active_ms / longest) * 100 : 0}%` }}>
                      {waits.map(([w, ms], i) => (
                        <span key={w} title={`${w}: ${formatSeconds(ms / 1000)}`} style={{ flexGrow: ms, background: BAR_COLOURS[i % BAR_COLOURS.length] }} />
                      ))}
                    </span>
                    <small className="muted">{waits.slice(0, 3).map(([w, ms]) => `${w} ${Math.round((ms / s.active_ms) * 100)} %`).join(', ')}</small>
                  </td>
                </tr>
              );
            })}
            {top.data && rows.length === 0 && (
              <tr><td colSpan={3} className="empty-row">
                {view.detail.instance.version_num !== null && view.detail.instance.version_num < 140000
                  ? 'PostgreSQL 13 does not show which statement a session runs (query_id arrived in 14).'
                  : 'No sampled active session ran a statement with a query id in this window (compute_query_id must not be off).'}
              </td></tr>
            )}
          </tbody>
        </table>
      </div>
      <SessionsPanel id={id} at={to} target={{ id, namespace: view.detail.instance.namespace, role: view.detail.instance.role }} />
    </>
  );
}

export function ActivityPage({ id }: { id: string }) {
  return (
    <InstanceLayout id={id} tab="activity" title="activity">
      {(view) => <ActivityView id={id} view={view} />}
    </InstanceLayout>
  );
}
