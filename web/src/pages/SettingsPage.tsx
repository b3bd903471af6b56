// `/instances/:id/settings`: every setting at the window's end with its source and file, what
// waits for a restart, and what changed inside the window (each change, and the net difference
// between the window's two ends).
import { useState } from 'react';
import { fetchSettings, fetchSettingsChanges, type Setting, type SettingChange } from '../api.ts';
import { hasRole } from '../actions.ts';
import { ActionButton } from '../components/ActionButton.tsx';
import { AdvisorCard } from '../components/AdvisorCard.tsx';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { InstanceLayout } from '../components/InstanceLayout.tsx';
import { formatAgo } from '../format.ts';
import { useNow } from '../live.ts';
import { formatSettingValue, isNonDefault, settingContext, settingSource } from '../settings-format.ts';
import { useFetch } from '../use-fetch.ts';
import { useMe } from '../me.ts';

const SHOW = [
  { key: 'all', label: 'all' },
  { key: 'changed', label: 'not default' },
  { key: 'pending', label: 'pending restart' },
] as const;
type Show = (typeof SHOW)[number]['key'];

const value = (s: Setting | null, raw?: string): string => (s ? formatSettingValue(s, raw ?? s.setting) : '—');

type Target = { id: string; namespace: string; role: string };

/** Change or reset one setting through ALTER SYSTEM (operators): an input, then the confirmation. */
function ChangeSetting({ s, target, onDone }: { s: Setting; target: Target; onDone: () => void }) {
  const me = useMe();
  const [editing, setEditing] = useState(false);
  const [v, setV] = useState(s.setting);
  if (s.context === 'internal' || !hasRole(me, 'operator', target.namespace)) return null;
  const when = s.context === 'postmaster' ? 'It takes effect at the next restart.' : 'The configuration is reloaded at once.';
  if (!editing) return <button type="button" className="act" data-testid="setting-edit" onClick={() => { setV(s.setting); setEditing(true); }}>Change…</button>;
  return (
    <span className="row-actions" data-testid="setting-editor">
      <input className="setting-value" value={v} onChange={(e) => setV(e.target.value)} aria-label={`new value of ${s.name}`} data-testid="setting-value"
        title={s.unit ? `in units of ${s.unit}, or with a unit (64MB, 5min)` : undefined} />
      <ActionButton instance={target} onReplicas action="alter_system" label="Apply" params={{ settings: [{ name: s.name, value: v }] }} testid="act-apply"
        explain={<>ALTER SYSTEM writes postgresql.auto.conf. {when} The answer shows the value before and after.</>} onDone={() => { setEditing(false); onDone(); }} />
      {s.source === 'configuration file' && (
        <ActionButton instance={target} onReplicas action="alter_system" label="Reset" params={{ settings: [{ name: s.name, value: null }] }} testid="act-reset"
          explain="ALTER SYSTEM RESET removes the line from postgresql.auto.conf (a value in postgresql.conf stays)." onDone={() => { setEditing(false); onDone(); }} />
      )}
      <button type="button" className="act" onClick={() => setEditing(false)}>×</button>
    </span>
  );
}

function settingColumns(changedInWindow: Set<string>, target: Target, onChanged: () => void): Column<Setting>[] {
  return [
    { key: 'name', label: 'setting', value: (s) => s.name, cell: (s) => (
      <>
        <code>{s.name}</code>
        {s.pending_restart && <span className="tag warn" title="changed in the configuration; takes effect at the next restart">pending restart</span>}
        {changedInWindow.has(s.name) && <span className="tag" title="changed inside the chosen window">changed</span>}
      </>
    ) },
    { key: 'value', label: 'value', value: (s) => s.setting, cell: (s) => (
      <span title={`${s.setting}${s.unit ? ` × ${s.unit}` : ''}`} className={isNonDefault(s) ? 'strong' : undefined}>{value(s)}</span>
    ) },
    { key: 'default', label: 'default', title: "PostgreSQL's built-in value (boot_val)", value: (s) => s.boot_val ?? null, cell: (s) => <span className="muted">{value(s, s.boot_val)}</span> },
    { key: 'source', label: 'source', value: (s) => settingSource(s) },
    { key: 'context', label: 'takes effect', value: (s) => settingContext(s.context).label, cell: (s) => <span title={settingContext(s.context).title}>{settingContext(s.context).label}</span> },
    { key: 'category', label: 'category', value: (s) => s.category ?? null, cell: (s) => <small className="muted">{s.category ?? '—'}</small> },
    { key: 'change', label: '', value: () => null, cell: (s) => <ChangeSetting s={s} target={target} onDone={onChanged} /> },
  ];
}

/** One line of a change: the setting, its value before and after, and what else moved (source, pending restart). */
function ChangeRow({ c, withTime }: { c: Omit<SettingChange, 'ts'> & { ts?: number }; withTime: boolean }) {
  const extra: string[] = [];
  if (c.before && c.after) {
    if (c.before.source !== c.after.source || c.before.sourcefile !== c.after.sourcefile) extra.push(`source ${settingSource(c.before)} → ${settingSource(c.after)}`);
    if (c.before.pending_restart !== c.after.pending_restart) extra.push(c.after.pending_restart ? 'now pending a restart' : 'no longer pending');
  }
  return (
    <tr data-testid="settings-change" data-name={c.name}>
      {withTime && <td className="num">{c.ts ? new Date(c.ts).toLocaleString() : ''}</td>}
      <td><code>{c.name}</code></td>
      <td className="num">{c.before ? value(c.before) : <span className="muted">absent</span>}</td>
      <td>→</td>
      <td className="num strong">{c.after ? value(c.after) : <span className="muted">removed</span>}</td>
      <td><small className="muted">{extra.join('; ')}</small></td>
    </tr>
  );
}

function SettingsView({ id, from, to, live, target }: { id: string; from: number; to: number; live: boolean; target: Target }) {
  const [changes, setChanges] = useState(0);
  const now = useNow(15_000);
  const [filter, setFilter] = useState('');
  const [show, setShow] = useState<Show>('all');
  // In live mode the list of changes, which is small, is read every 15 s up to now (a live window's end
  // moves only by whole steps); the full set of settings is read once a minute, and at once when the
  // list shows a new change or an Apply here finished.
  const probe = live ? Math.floor(now / 15_000) : to;
  const ch = useFetch((signal) => fetchSettingsChanges(id, from, live ? Math.max(to, Date.now()) : to, signal), [id, live ? probe : from, live ? 0 : to, changes]);
  const latest = (ch.data?.changes ?? []).reduce((m, c) => Math.max(m, c.ts), 0);
  const bucket = live ? Math.floor(to / 60_000) : to;
  const s = useFetch((signal) => fetchSettings(id, live ? undefined : to, signal), [id, bucket, live, changes, latest]);
  const changed = new Set((ch.data?.changes ?? []).map((c) => c.name));
  const f = filter.trim().toLowerCase();
  const rows = (s.data?.settings ?? []).filter((x) =>
    (show === 'all' || (show === 'changed' && isNonDefault(x)) || (show === 'pending' && x.pending_restart))
    && (f === '' || x.name.toLowerCase().includes(f) || x.setting.toLowerCase().includes(f) || (x.category ?? '').toLowerCase().includes(f)));
  const all = s.data?.settings ?? [];
  // Only when a change was undone (or redone) inside the window does the net difference say more than the list.
  const undone = ch.data?.complete === true && ch.data.changes.length > 0 && ch.data.difference.length !== new Set(ch.data.changes.map((c) => c.name)).size;
  return (
    <>
      {(s.error || ch.error) && <ErrorBanner message={(s.error ?? ch.error)!} />}
      <AdvisorCard id={id} />
      {s.data && (
        <div className="store-summary" data-testid="settings-summary">
          <div><dt>settings</dt><dd>{all.length}</dd></div>
          <div><dt>not default</dt><dd>{all.filter(isNonDefault).length}</dd></div>
          <div><dt>pending restart</dt><dd className={s.data.pending_restart ? 'warn-text' : undefined} data-testid="settings-pending">{s.data.pending_restart}</dd></div>
          <div><dt>configuration loaded</dt><dd>{s.data.conf_load_time ? formatAgo(s.data.conf_load_time, now) : '—'}</dd></div>
          <div><dt>last settings message</dt><dd title="the agent sends settings when they change, after restarts, and once a day">{s.data.as_of ? formatAgo(s.data.as_of, now) : 'never'}</dd></div>
        </div>
      )}
      <h3 className="section">Changes in this window</h3>
      {ch.data && ch.data.changes.length === 0 && (
        <p className="muted" data-testid="settings-no-changes">
          {ch.data.complete ? 'No setting changed in this window.' : 'No settings were stored before this window began: changes show from the first snapshot on.'}
        </p>
      )}
      {ch.data && ch.data.changes.length > 0 && (
        <div className="table-wrap">
          <table className="fleet statements" data-testid="settings-changes">
            <thead><tr><th className="num">when</th><th>setting</th><th className="num">before</th><th /><th className="num">after</th><th /></tr></thead>
            <tbody>{ch.data.changes.map((c) => <ChangeRow key={`${c.ts}/${c.name}`} c={c} withTime />)}</tbody>
          </table>
        </div>
      )}
      {undone && ch.data && (
        <>
          <h3 className="section">Net difference between the window's start and end</h3>
          <div className="table-wrap">
            <table className="fleet statements" data-testid="settings-difference">
              <tbody>{ch.data.difference.map((d) => <ChangeRow key={d.name} c={d} withTime={false} />)}</tbody>
            </table>
          </div>
        </>
      )}
      <h3 className="section">Settings {live ? 'now' : `at ${new Date(to).toLocaleString()}`}</h3>
      <div className="toolbar">
        <input className="search" style={{ marginLeft: 0 }} placeholder="filter by name, value or category" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="settings-filter" />
        <div className="segmented" role="group" aria-label="which settings">
          {SHOW.map((o) => (
            <button key={o.key} type="button" data-show={o.key} className={show === o.key ? 'active' : ''} aria-pressed={show === o.key} onClick={() => setShow(o.key)}>{o.label}</button>
          ))}
        </div>
      </div>
      <DataTable
        testid="settings" rows={rows} columns={settingColumns(changed, target, () => setChanges((n) => n + 1))} rowKey={(x) => x.name} initialSort="name"
        rowClass={(x) => (x.pending_restart ? 'row-warn' : undefined)}
        empty={!s.data ? 'loading…' : all.length === 0
          ? 'No settings stored yet: the agent reads pg_settings every minute (--settings-interval-s).'
          : 'no setting matches'}
      />
      {s.data && !s.data.complete && all.length > 0 && <p className="store-note">No full snapshot is stored before this moment: only settings seen changing are listed.</p>}
    </>
  );
}

export function SettingsPage({ id }: { id: string }) {
  return (
    <InstanceLayout id={id} tab="settings" title="settings">
      {({ from, to, live, detail }) => <SettingsView id={id} from={from} to={to} live={live} target={{ id, namespace: detail.instance.namespace, role: detail.instance.role }} />}
    </InstanceLayout>
  );
}
