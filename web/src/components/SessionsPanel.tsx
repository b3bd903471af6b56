// The sessions of one moment: the blocking tree, then every non-idle session, each with cancel
// and terminate for operators (signed commands through the agent, docs/actions.md).
import { fetchSessions, type Session } from '../api.ts';
import { blockingTree } from '../blocking-tree.ts';
import { formatSeconds } from '../format.ts';
import { useFetch } from '../use-fetch.ts';
import { ActionButton } from './ActionButton.tsx';
import { DataTable, type Column } from './DataTable.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';

const since = (ts: number, t: number | undefined): number | null => (t === undefined ? null : Math.max(0, ts - t));
const dur = (ms: number | null): string => (ms === null ? '—' : formatSeconds(ms / 1000));
const wait = (s: Session): string => (s.wait_event_type ? `${s.wait_event_type}:${s.wait_event ?? ''}` : s.state === 'active' ? 'CPU' : '—');

type Target = { id: string; namespace: string; role: string };

function columns(ts: number, target?: Target): Column<Session>[] {
  return [
    { key: 'pid', label: 'pid', num: true, value: (s) => s.pid, cell: (s) => (
      <>{s.pid}{s.leader_pid !== undefined && <small className="muted"> ↳{s.leader_pid}</small>}</>
    ) },
    { key: 'who', label: 'role / database', value: (s) => `${s.usename ?? ''}/${s.datname ?? ''}`, cell: (s) => <span className="muted">{s.usename ?? '—'} / {s.datname ?? '—'}</span> },
    { key: 'app', label: 'application', value: (s) => s.application_name ?? null, cell: (s) => s.application_name ?? (s.backend_type !== 'client backend' ? s.backend_type : '—') },
    { key: 'client', label: 'client', value: (s) => s.client_addr ?? null, cell: (s) => s.client_addr ?? '—' },
    { key: 'state', label: 'state', value: (s) => s.state, cell: (s) => <span className={s.state.startsWith('idle in transaction') ? 'warn-text' : undefined}>{s.state}</span> },
    { key: 'wait', label: 'waiting on', value: wait },
    { key: 'xact', label: 'transaction', num: true, title: 'time since the transaction began', value: (s) => since(ts, s.xact_start), cell: (s) => dur(since(ts, s.xact_start)) },
    { key: 'query_time', label: 'statement', num: true, title: 'time since the statement began (active) or ended (idle in transaction: since its state changed)', value: (s) => since(ts, s.state === 'active' ? s.query_start : s.state_change), cell: (s) => dur(since(ts, s.state === 'active' ? s.query_start : s.state_change)) },
    { key: 'query', label: 'query', value: (s) => s.query ?? null, cell: (s) => <code className="query-snippet" title={s.query}>{s.query ?? '—'}</code> },
    ...(target ? [{ key: 'actions', label: '', value: () => null, cell: (s: Session) => (s.backend_type && s.backend_type !== 'client backend' ? null : (
      <span className="row-actions">
        <ActionButton instance={target} onReplicas action="cancel_backend" params={{ pid: s.pid }} label="Cancel" testid="act-cancel"
          explain="Cancels the statement this session runs now; the session and its connection stay." />
        <ActionButton instance={target} onReplicas danger action="terminate_backend" params={{ pid: s.pid }} label="Terminate" testid="act-terminate"
          explain="Ends the session: its open transaction is rolled back and the client loses its connection." />
      </span>
    )) } satisfies Column<Session>] : []),
  ];
}

export function SessionsPanel({ id, at, target }: { id: string; at: number; target?: Target }) {
  // A moment is asked for at a 5 s grain (snapshots come every 15 s), rounded up so the newest
  // snapshot before the window's end is never missed.
  const moment = Math.ceil(at / 5000) * 5000;
  const r = useFetch((signal) => fetchSessions(id, moment, signal), [id, moment]);
  const snap = r.data;
  const tree = snap ? blockingTree(snap.sessions) : [];
  const ts = snap?.ts ?? moment;
  return (
    <section data-testid="sessions" data-state={snap ? (snap.ts === null ? 'none' : 'ready') : 'loading'}>
      <h3 className="section">
        Sessions {snap?.ts ? <span className="muted">at {new Date(snap.ts).toLocaleTimeString()}</span> : null}
      </h3>
      {r.error && <ErrorBanner message={r.error} />}
      {tree.length > 0 && (
        <div className="card blocking" data-testid="blocking-tree">
          <h3>Lock waits</h3>
          {tree.map((row) => (
            <div key={row.pid} className="tree-row" style={{ paddingLeft: `${row.depth * 22}px` }} data-pid={row.pid} data-depth={row.depth}>
              {row.depth > 0 && <span className="muted">└ </span>}
              <strong>{row.pid}</strong>
              {row.session ? (
                <>
                  <span className="muted"> {row.session.usename ?? ''}{row.session.datname ? `@${row.session.datname}` : ''} · {row.session.state} · {wait(row.session)}</span>
                  {row.session.xact_start !== undefined && <span className="muted"> · transaction {dur(since(ts, row.session.xact_start))}</span>}
                  {row.blocking > 0 && <span className="tag warn">holds up {row.blocking}</span>}
                  {row.alsoWaitsFor.length > 0 && <span className="muted"> · also waits for {row.alsoWaitsFor.join(', ')}</span>}
                  <code className="query-snippet">{row.session.query ?? ''}</code>
                </>
              ) : (
                <span className="muted"> not in the snapshot (a prepared transaction, or the agent's own session) · holds up {row.blocking}</span>
              )}
            </div>
          ))}
        </div>
      )}
      <DataTable
        testid="session-list" rows={snap?.sessions ?? []} columns={columns(ts, target)} rowKey={(s) => String(s.pid)} initialSort="xact"
        empty={!snap ? 'loading…' : snap.ts === null
          ? 'No sessions snapshot in the hour before this moment (the agent sends one with each activity message; older agents do not).'
          : 'No session was active or in a transaction at this moment.'}
      />
    </section>
  );
}
