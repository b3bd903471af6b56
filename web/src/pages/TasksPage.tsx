// Scheduled tasks (run by the agents, also while the server is away), their runs, and the recent
// commands of the fleet: who asked what, and how it ended.
import { useMemo, useState } from 'react';
import {
  createTask, deleteTask, describeAction, describeOutcome, fetchCommands, fetchTaskRuns, fetchTasks, hasRole, runTaskNow, setTaskEnabled,
  type ActionName, type Command, type Task,
} from '../actions.ts';
import { fetchInstances, type Instance } from '../api.ts';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { useMe } from '../me.ts';
import { instancePath, Link } from '../router.tsx';
import { useFetch } from '../use-fetch.ts';

/** Actions worth scheduling, with the parameters a new task starts from. */
const TEMPLATES: { action: ActionName; label: string; params: Record<string, unknown> }[] = [
  { action: 'vacuum', label: 'VACUUM ANALYZE', params: { database: 'postgres', tables: [{ schema: 'public', table: 'my_table' }], analyze: true } },
  { action: 'analyze', label: 'ANALYZE', params: { database: 'postgres' } },
  { action: 'reindex', label: 'REINDEX CONCURRENTLY', params: { database: 'postgres', schema: 'public', index: 'my_index' } },
  { action: 'reset_stats', label: 'reset statistics', params: { kind: 'statements', database: 'postgres' } },
  { action: 'script', label: 'saved script (admins)', params: { database: 'postgres', script: 'name' } },
];
const CRONS = [
  { cron: '0 3 * * *', label: 'nightly 03:00' },
  { cron: '0 4 * * 0', label: 'Sundays 04:00' },
  { cron: '0 * * * *', label: 'hourly' },
];

const when = (t: number | null): string => (t === null ? '—' : new Date(t).toLocaleString());
const stateClass = (c: Command): string | undefined => (c.state === 'ok' ? 'ok-text' : c.state === 'error' || c.state === 'refused' || c.state === 'expired' ? 'warn-text' : 'muted');

function commandColumns(withInstance: boolean): Column<Command>[] {
  return [
    { key: 'when', label: 'when', num: true, value: (c) => c.scheduledAt ?? c.requestedAt, cell: (c) => when(c.scheduledAt ?? c.requestedAt) },
    ...(withInstance ? [{ key: 'instance', label: 'instance', value: (c: Command) => c.instance, cell: (c: Command) => (c.instance ? <Link to={instancePath(c.instance)}>{c.instance}</Link> : c.agent) }] : []),
    { key: 'action', label: 'action', value: (c) => c.action, cell: (c) => <code title={c.params && Object.keys(c.params).length ? JSON.stringify(c.params) : undefined}>{c.action}</code> },
    { key: 'by', label: 'by', value: (c) => c.requestedBy, cell: (c) => <span className="muted">{c.requestedBy}</span> },
    { key: 'state', label: 'outcome', value: (c) => c.state, cell: (c) => <span className={stateClass(c)} title={c.error ?? c.reason ?? undefined}>{describeOutcome(c)}</span> },
  ];
}

function TaskRuns({ id }: { id: number }) {
  const r = useFetch((signal) => fetchTaskRuns(id, signal), [id]);
  return (
    <div data-testid="task-runs">
      {r.error && <ErrorBanner message={r.error} />}
      <DataTable testid={`runs-${id}`} rows={r.data ?? []} columns={commandColumns(true)} rowKey={(c) => c.id} initialSort="when" empty={r.data ? 'No run yet.' : 'loading…'} />
    </div>
  );
}

function NewTask({ instances, onMade }: { instances: Instance[]; onMade: () => void }) {
  const me = useMe();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Task['scope']>('instance');
  const targets = useMemo(() => ({
    instance: instances.map((i) => i.id),
    cluster: [...new Set(instances.map((i) => `${i.namespace}/${i.cluster}`))],
    namespace: [...new Set(instances.map((i) => i.namespace))],
  }), [instances]);
  const [target, setTarget] = useState('');
  const [template, setTemplate] = useState(0);
  const [params, setParams] = useState(JSON.stringify(TEMPLATES[0].params, null, 2));
  const [cron, setCron] = useState(CRONS[0].cron);
  const [windowStart, setWindowStart] = useState('');
  const [windowEnd, setWindowEnd] = useState('');
  const [missed, setMissed] = useState<'skip' | 'run'>('skip');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!me || (!me.isAdmin && !me.grants.some((g) => g.role !== 'viewer'))) return null;
  const chosen = target || targets[scope][0] || '';
  let parsed: Record<string, unknown> | undefined;
  try { parsed = JSON.parse(params) as Record<string, unknown>; } catch { parsed = undefined; }
  const submit = () => {
    if (!parsed) { setError('the parameters are not JSON'); return; }
    setBusy(true);
    setError(null);
    createTask({
      name: name || `${TEMPLATES[template].label} on ${chosen}`, scope, target: chosen, action: TEMPLATES[template].action, params: parsed, cron, missed,
      ...(windowStart && windowEnd ? { window: { start: windowStart, end: windowEnd } } : {}),
    }).then(() => { setName(''); onMade(); }, (err: Error) => setError(err.message)).finally(() => setBusy(false));
  };
  return (
    <details className="card new-task" data-testid="new-task">
      <summary><strong>New scheduled task</strong></summary>
      <div className="form-grid">
        <label>name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="nightly vacuum of orders" data-testid="task-name" /></label>
        <label>on
          <select value={scope} onChange={(e) => { setScope(e.target.value as Task['scope']); setTarget(''); }} data-testid="task-scope">
            <option value="instance">an instance</option><option value="cluster">a cluster (its primary)</option><option value="namespace">a namespace</option>
          </select>
          <select value={chosen} onChange={(e) => setTarget(e.target.value)} data-testid="task-target">
            {targets[scope].map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <label>action
          <select value={template} onChange={(e) => { const i = Number(e.target.value); setTemplate(i); setParams(JSON.stringify(TEMPLATES[i].params, null, 2)); }} data-testid="task-action">
            {TEMPLATES.map((t, i) => <option key={t.action} value={i}>{t.label}</option>)}
          </select>
        </label>
        <label>parameters <textarea rows={5} value={params} onChange={(e) => setParams(e.target.value)} data-testid="task-params" spellCheck={false} /></label>
        {parsed && <pre className="statement">{(() => { try { return describeAction(TEMPLATES[template].action, parsed); } catch { return '(incomplete parameters)'; } })()}</pre>}
        <label>schedule (cron, 6 fields for seconds)
          <input value={cron} onChange={(e) => setCron(e.target.value)} data-testid="task-cron" />
          {CRONS.map((c) => <button key={c.cron} type="button" className="act" onClick={() => setCron(c.cron)}>{c.label}</button>)}
        </label>
        <label>maintenance window (optional) <input type="time" value={windowStart} onChange={(e) => setWindowStart(e.target.value)} /> – <input type="time" value={windowEnd} onChange={(e) => setWindowEnd(e.target.value)} /></label>
        <label>a run missed while the agent was down
          <select value={missed} onChange={(e) => setMissed(e.target.value as 'skip' | 'run')}><option value="skip">is skipped</option><option value="run">runs once when it is back</option></select>
        </label>
      </div>
      {error && <p className="warn-text" data-testid="task-error">{error}</p>}
      <div className="toolbar"><button type="button" className="primary" disabled={busy || !chosen} onClick={submit} data-testid="task-create">Schedule</button></div>
    </details>
  );
}

export function TasksPage() {
  const me = useMe();
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tasks = useFetch((signal) => fetchTasks(signal), [version]);
  const commands = useFetch((signal) => fetchCommands({ limit: 50 }, signal), [version]);
  const instances = useFetch((signal) => fetchInstances(signal), []);
  const refresh = () => setVersion((v) => v + 1);
  const act = (p: Promise<unknown>) => { setError(null); p.then(refresh, (err: Error) => setError(err.message)); };

  const columns: Column<Task>[] = [
    { key: 'name', label: 'task', value: (t) => t.name, cell: (t) => <><strong>{t.name}</strong>{!t.enabled && <span className="tag">disabled</span>}</> },
    { key: 'target', label: 'on', value: (t) => t.target, cell: (t) => <span title={t.instances.join(', ')}>{t.scope} {t.target} <small className="muted">({t.instances.length})</small></span> },
    { key: 'action', label: 'action', value: (t) => t.action, cell: (t) => <code title={describeAction(t.action, t.params)}>{t.action}</code> },
    { key: 'cron', label: 'schedule', value: (t) => t.cron, cell: (t) => <><code>{t.cron}</code>{t.window && <small className="muted"> within {t.window.start}–{t.window.end}</small>}</> },
    { key: 'next', label: 'next run', num: true, value: (t) => t.nextRuns[0] ?? null, cell: (t) => when(t.nextRuns[0] ?? null) },
    { key: 'by', label: 'by', value: (t) => t.createdBy, cell: (t) => <span className="muted">{t.createdBy}</span> },
    { key: 'buttons', label: '', value: () => null, cell: (t) => (
      <span className="row-actions">
        <button type="button" className="act" data-testid="task-history" onClick={() => setOpen(open === t.id ? null : t.id)}>{open === t.id ? 'Hide runs' : 'Runs'}</button>
        {hasRole(me, t.action === 'script' ? 'admin' : 'operator', t.namespace) && (
          <>
            <button type="button" className="act" data-testid="task-run" onClick={() => { if (window.confirm(`Run "${t.name}" now on ${t.instances.length} instance(s)?`)) act(runTaskNow(t.id)); }}>Run now</button>
            <button type="button" className="act" data-testid="task-toggle" onClick={() => act(setTaskEnabled(t.id, !t.enabled))}>{t.enabled ? 'Disable' : 'Enable'}</button>
            <button type="button" className="act danger" data-testid="task-delete" onClick={() => { if (window.confirm(`Delete the task "${t.name}"? Its run history stays.`)) act(deleteTask(t.id)); }}>Delete</button>
          </>
        )}
      </span>
    ) },
  ];

  return (
    <main className="page" data-testid="tasks-page">
      <h1>Tasks</h1>
      <p className="muted">Scheduled actions run by the agents themselves, from the task set the server signed: they run while the server is away and report afterwards. A run never starts while the previous one still runs.</p>
      {(error || tasks.error) && <ErrorBanner message={error ?? tasks.error!} />}
      <NewTask instances={instances.data ?? []} onMade={refresh} />
      <h3 className="section">Scheduled tasks</h3>
      <DataTable testid="tasks" rows={tasks.data ?? []} columns={columns} rowKey={(t) => String(t.id)} initialSort="next"
        empty={tasks.data ? 'No scheduled task yet.' : 'loading…'} />
      {open !== null && <TaskRuns id={open} />}
      <h3 className="section">Recent commands <button type="button" className="act" onClick={refresh}>Refresh</button></h3>
      {commands.error && <ErrorBanner message={commands.error} />}
      <DataTable testid="commands" rows={commands.data ?? []} columns={commandColumns(true)} rowKey={(c) => c.id} initialSort="when"
        empty={commands.data ? 'No command yet: actions on sessions, tables, indexes and settings, and task runs, show here.' : 'loading…'} />
    </main>
  );
}
