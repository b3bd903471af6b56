// Configuration changes applied through pgfleet on one instance: each value before and after, and
// whether the measurements the settings act on moved, over the same time before and after.
import { getJson } from '../api.ts';
import { formatBytes } from '../format.ts';
import { useFetch } from '../use-fetch.ts';
import { ErrorBanner } from './ErrorBanner.tsx';

interface ConfigChange {
  command: string;
  at: number;
  by: string;
  windowMs: number;
  settings: { name: string; before: string | null; after: string | null; pending_restart: boolean }[];
  effects: { key: string; label: string; unit: string; before: number | null; after: number | null; change: number | null; verdict: string }[];
}

const show = (unit: string, v: number | null): string => (v === null ? '—' : unit === 'ratio' ? `${(v * 100).toFixed(2)} %` : unit === 'bytes_per_s' ? `${formatBytes(v)}/s` : v.toFixed(v < 10 ? 2 : 0));

export function AppliedChanges({ instance, refresh }: { instance: string; refresh: number }) {
  const r = useFetch((signal) => getJson<{ changes: ConfigChange[] }>(`/api/v1/instances/${encodeURIComponent(instance)}/config-changes`, signal), [instance, refresh]);
  if (r.error) return <ErrorBanner message={r.error} />;
  const changes = r.data?.changes ?? [];
  if (!changes.length) return null;
  return (
    <section data-testid="applied-changes">
      <h3 className="section">Applied on {instance}, and what moved since</h3>
      {changes.map((c) => (
        <div key={c.command} className="card applied" data-testid="applied-change">
          <div className="muted">{new Date(c.at).toLocaleString()} by {c.by}</div>
          <ul>
            {c.settings.map((s) => (
              <li key={s.name}><code>{s.name}</code> {s.before ?? '—'} → <strong>{s.after ?? '—'}</strong>{s.pending_restart && <span className="tag warn">waits for a restart</span>}</li>
            ))}
          </ul>
          {c.effects.length === 0
            ? <p className="muted">Too recent to compare: measurements need at least a minute after the change.</p>
            : (
              <table className="fleet statements">
                <thead><tr><th>over {Math.round(c.windowMs / 60_000)} min before and after</th><th className="num">before</th><th className="num">after</th><th className="num">change</th><th /></tr></thead>
                <tbody>
                  {c.effects.map((e) => (
                    <tr key={e.key} data-verdict={e.verdict}>
                      <td>{e.label}</td>
                      <td className="num">{show(e.unit, e.before)}</td>
                      <td className="num">{show(e.unit, e.after)}</td>
                      <td className="num">{e.change === null ? '—' : `${e.change > 0 ? '+' : ''}${(e.change * 100).toFixed(0)} %`}</td>
                      <td className={e.verdict === 'better' ? 'ok-text' : e.verdict === 'worse' ? 'warn-text' : 'muted'}>{e.verdict}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
        </div>
      ))}
    </section>
  );
}
