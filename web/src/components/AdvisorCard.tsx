// The worker's latest advice for an instance, on its settings page: how many settings it would
// change and which, with the reason, and the way to the Tune page to apply them.
import type { AdviceRecommendation } from '../api.ts';
import { getJson } from '../api.ts';
import { Link } from '../router.tsx';
import { useFetch } from '../use-fetch.ts';

interface AdviceReply {
  run: { ts: number; changes: number; restart: number; error: string | null; advice: { recommendations: AdviceRecommendation[] } | null } | null;
  profile: { disk: string; workload: string; cpus?: number; ram?: string | number };
  profileSet: boolean;
}

export function AdvisorCard({ id }: { id: string }) {
  const r = useFetch((signal) => getJson<AdviceReply>(`/api/v1/instances/${encodeURIComponent(id)}/advice`, signal), [id]);
  const run = r.data?.run;
  if (!r.data) return null;
  const changes = run?.advice?.recommendations.filter((x) => x.current !== null && x.current !== x.recommended) ?? [];
  const p = r.data.profile;
  return (
    <div className="card advisor-card" data-testid="advisor-card">
      <strong>Advisor</strong>{' '}
      {!run && <span className="muted">has not run for this instance yet (the worker runs it every few hours).</span>}
      {run?.error && <span className="muted">no advice: {run.error}</span>}
      {run?.advice && (
        <span>
          {run.changes} setting{run.changes === 1 ? '' : 's'} to change{run.restart ? `, ${run.restart} of them at a restart` : ''}
          <span className="muted"> · as of {new Date(run.ts).toLocaleString()} · profile {p.disk}, {p.workload}{r.data.profileSet ? '' : ' (default)'}</span>
        </span>
      )}
      {' '}<Link to={`/tune?instance=${encodeURIComponent(id)}`} testid="advisor-tune-link">review and apply on the Tune page</Link>
      {changes.length > 0 && (
        <ul className="advisor-changes">
          {changes.slice(0, 8).map((x) => (
            <li key={x.name} title={x.reason}><code>{x.name}</code> {x.current} → <strong>{x.recommended}</strong> <small className="muted">{x.reason.length > 110 ? `${x.reason.slice(0, 110)}…` : x.reason}</small></li>
          ))}
          {changes.length > 8 && <li className="muted">and {changes.length - 8} more</li>}
        </ul>
      )}
    </div>
  );
}
