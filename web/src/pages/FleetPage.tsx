// `/`: every instance by namespace and cluster, problems first, filtered by a search box.
import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { fetchInstances, type Instance } from '../api.ts';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { FleetRow } from '../components/FleetRow.tsx';
import { useLiveRefresh, useNow } from '../live.ts';
import { fleetGroups } from '../fleet-groups.ts';
import { clusterPath, Link } from '../router.tsx';

/** Whether an instance matches the search text (name, cluster or namespace, case-insensitive). */
export function matchesSearch(inst: Instance, text: string): boolean {
  const q = text.trim().toLowerCase();
  if (q === '') return true;
  return [inst.id, inst.cluster, inst.namespace].some((f) => (f ?? '').toLowerCase().includes(q));
}

export function FleetPage() {
  const [instances, setInstances] = useState<Instance[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const now = useNow(1000);
  const inflight = useRef<AbortController | null>(null);

  const load = useCallback(() => {
    inflight.current?.abort();
    const ctl = new AbortController();
    inflight.current = ctl;
    fetchInstances(ctl.signal).then(
      (list) => {
        setInstances(list);
        setError(null);
      },
      (err: unknown) => {
        if (!ctl.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      },
    );
  }, []);

  useEffect(() => {
    document.title = 'Fleet · pgfleet';
    load();
    return () => inflight.current?.abort();
  }, [load]);
  useLiveRefresh(load, { enabled: true });

  const shown = useMemo(() => (instances ?? []).filter((i) => matchesSearch(i, search)), [instances, search]);
  const problems = (instances ?? []).filter((i) => i.status !== 'up').length;

  return (
    <main className="page">
      <div className="page-head">
        <h1>Fleet</h1>
        <span className="muted">
          {instances === null ? 'loading…' : `${instances.length} instance${instances.length === 1 ? '' : 's'}${problems ? `, ${problems} with problems` : ''}`}
        </span>
        <input
          className="search"
          type="search"
          placeholder="Search name, cluster, namespace"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          data-testid="fleet-search"
          aria-label="search instances"
        />
      </div>
      {error && <ErrorBanner message={error} />}
      <div className="table-wrap">
        <table className="fleet" data-testid="fleet-table">
          <thead>
            <tr>
              <th>Instance</th>
              <th>Namespace / cluster</th>
              <th>Role</th>
              <th>Status</th>
              <th>Version</th>
              <th>Last seen</th>
              <th className="num">TPS</th>
              <th className="num">Connections</th>
              <th className="num">Cache hit</th>
              <th className="num">Repl. lag</th>
              <th className="num" title="the host's CPU busy share (not idle, not I/O wait), last minute">CPU</th>
              <th className="num" title="the data directory's filesystem in use (df)">Disk</th>
            </tr>
          </thead>
          <tbody>
            {fleetGroups(shown).map((g) => (
              <Fragment key={`${g.namespace}\u0000${g.cluster}`}>
                <tr className="group-row" data-testid="fleet-group" data-cluster={`${g.namespace}/${g.cluster}`}>
                  <td colSpan={12}>
                    <Link to={clusterPath(g.namespace, g.cluster)}><strong>{g.cluster}</strong></Link> <span className="muted">{g.namespace} · {g.instances.length} instance{g.instances.length === 1 ? '' : 's'}</span>
                    {g.problems > 0 && <span className="tag warn">{g.problems} with problems</span>}
                  </td>
                </tr>
                {g.instances.map((inst) => <FleetRow key={inst.id} inst={inst} now={now} />)}
              </Fragment>
            ))}
            {instances !== null && shown.length === 0 && (
              <tr>
                <td colSpan={12} className="empty-row">
                  {instances.length === 0 ? 'No instance has reported yet.' : 'No instance matches the search.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </main>
  );
}
