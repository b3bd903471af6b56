// `/tune`: configuration recommendations from the hardware and the workload, each with its reason;
// for a chosen instance, against the settings its agent last sent (what would change, and whether it
// needs a restart), with the result as postgresql.conf lines, ALTER SYSTEM SQL or Patroni configuration.
import { useEffect, useState } from 'react';
import { fetchAdvice, fetchInstances, getJson, type Advice, type AdvisorRequest } from '../api.ts';
import { ActionButton } from '../components/ActionButton.tsx';
import { AppliedChanges } from '../components/AppliedChanges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { formatBytes } from '../format.ts';
import { useFetch } from '../use-fetch.ts';

const DISKS = ['ssd', 'nvme', 'hdd', 'san'];
const WORKLOADS = ['mixed', 'web', 'oltp', 'dw', 'desktop'];
const OUTPUTS = ['sql', 'conf', 'patroni'] as const;

/** The form offline: a machine to describe. */
const OFFLINE: AdvisorRequest = { cpus: 4, ram: '16GB', disk: 'ssd', workload: 'mixed', major: 17 };

/** The form for an instance from its advisor profile: only what the profile says. */
function profileForm(p: AdvisorRequest, instance: string): AdvisorRequest {
  return {
    disk: p.disk, workload: p.workload, instance,
    ...(p.cpus !== undefined ? { cpus: p.cpus } : {}), ...(p.ram !== undefined ? { ram: String(p.ram) } : {}),
    ...(p.connections !== undefined ? { connections: p.connections } : {}), ...(p.dataSize !== undefined ? { dataSize: String(p.dataSize) } : {}),
    ...(p.replication !== undefined ? { replication: p.replication } : {}), ...(p.allowDurabilityRisk ? { allowDurabilityRisk: true } : {}),
  };
}

export function TunePage() {
  const instances = useFetch((signal) => fetchInstances(signal), []);
  const [form, setForm] = useState<AdvisorRequest>(OFFLINE);
  const [result, setResult] = useState<{ advice: Advice; conf: string; sql: string; patroni: string; instance?: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [onlyChanges, setOnlyChanges] = useState(true);
  const [output, setOutput] = useState<(typeof OUTPUTS)[number]>('sql');
  const set = <K extends keyof AdvisorRequest>(k: K, v: AdvisorRequest[K]) => setForm((f) => ({ ...f, [k]: v }));
  const run = () => {
    setBusy(true);
    const body = { ...form, ...(form.instance ? { major: undefined } : {}) };
    fetchAdvice(body).then((r) => { setResult({ ...r, instance: body.instance }); setError(null); }, (err: unknown) => { setResult(null); setError(err instanceof Error ? err.message : String(err)); })
      .finally(() => setBusy(false));
  };
  // /tune?instance=<id> (from an instance's settings page): that instance, with its advisor profile, at once.
  useEffect(() => {
    const instance = new URLSearchParams(window.location.search).get('instance');
    if (!instance) return;
    getJson<{ profile: AdvisorRequest }>(`/api/v1/instances/${encodeURIComponent(instance)}/advice`).then((r) => {
      // The profile alone: what it leaves out (CPUs, RAM) comes from the instance's node, not from this form's defaults.
      const next = profileForm(r.profile, instance);
      setForm(next);
      setBusy(true);
      fetchAdvice(next).then((a) => { setResult({ ...a, instance }); setError(null); }, (err: unknown) => setError(err instanceof Error ? err.message : String(err))).finally(() => setBusy(false));
    }, (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const recs = result?.advice.recommendations ?? [];
  const connected = recs.some((r) => r.current !== null);
  const shown = recs.filter((r) => !onlyChanges || (connected ? r.current !== r.recommended : !r.isDefault));
  // Apply goes to the instance the advice was made for, through its agent (signed, audited ALTER SYSTEM).
  const inst = connected ? (instances.data ?? []).find((i) => i.id === result?.instance) : undefined;
  const target = inst ? { id: inst.id, namespace: inst.namespace, role: inst.role } : undefined;
  const changes = recs.filter((r) => r.current !== null && r.current !== r.recommended);
  const [applied, setApplied] = useState(0);
  return (
    <main className="page">
      <h1>Tune</h1>
      <p className="muted">Recommended settings from the machine and the workload, each with the rule or evidence behind it. Pick an instance to compare with the settings its agent last sent.</p>
      <form className="tune-form" data-testid="tune-form" onSubmit={(e) => { e.preventDefault(); run(); }}>
        <label>instance
          <select data-testid="tune-instance" value={form.instance ?? ''} onChange={(e) => {
            // Another instance: no override of a previous one stays (CPUs and RAM come from its node unless typed again).
            const v = e.target.value;
            setForm((f) => (v ? profileForm({ disk: f.disk, workload: f.workload }, v) : { ...OFFLINE, disk: f.disk, workload: f.workload }));
          }}>
            <option value="">none (offline)</option>
            {(instances.data ?? []).map((i) => <option key={i.id} value={i.id}>{i.id}{i.version_num ? ` (PostgreSQL ${Math.floor(i.version_num / 10000)})` : ''}</option>)}
          </select>
        </label>
        <label>CPUs<input type="number" min={1} max={1024} data-testid="tune-cpus" value={form.cpus ?? ''} placeholder={form.instance ? 'its node' : ''} onChange={(e) => set('cpus', e.target.value ? Number(e.target.value) : undefined)} /></label>
        <label>RAM<input data-testid="tune-ram" value={form.ram ?? ''} placeholder={form.instance ? 'its node' : '16GB'} onChange={(e) => set('ram', e.target.value || undefined)} size={7} /></label>
        <label>disk<select value={form.disk} onChange={(e) => set('disk', e.target.value)}>{DISKS.map((d) => <option key={d}>{d}</option>)}</select></label>
        <label>workload<select data-testid="tune-workload" value={form.workload} onChange={(e) => set('workload', e.target.value)}>{WORKLOADS.map((w) => <option key={w}>{w}</option>)}</select></label>
        {!form.instance && <label>PostgreSQL<select value={form.major} onChange={(e) => set('major', Number(e.target.value))}>{[13, 14, 15, 16, 17, 18].map((m) => <option key={m}>{m}</option>)}</select></label>}
        <label>connections<input type="number" min={1} placeholder="usual" value={form.connections ?? ''} onChange={(e) => set('connections', e.target.value ? Number(e.target.value) : undefined)} /></label>
        <label className="check"><input type="checkbox" checked={form.replication !== false} onChange={(e) => set('replication', e.target.checked)} />replication</label>
        <button type="submit" className="primary" data-testid="tune-run" disabled={busy}>{busy ? 'working…' : 'Recommend'}</button>
      </form>
      {error && <ErrorBanner message={error} />}
      {result && (
        <>
          <div className="store-summary" data-testid="tune-summary">
            <div><dt>settings</dt><dd>{recs.length}</dd></div>
            <div><dt>{connected ? 'to change' : 'not default'}</dt><dd>{recs.filter((r) => (connected ? r.current !== r.recommended : !r.isDefault)).length}</dd></div>
            <div><dt>need a restart</dt><dd>{recs.filter((r) => r.context === 'postmaster' && (connected ? r.current !== r.recommended : !r.isDefault)).length}</dd></div>
            <div><dt>worst-case memory</dt><dd>{formatBytes(result.advice.memory.worstCaseBytes)} of {formatBytes(result.advice.memory.limitBytes)}</dd></div>
          </div>
          {result.advice.notes.map((n) => <div key={n} className="banner warn">{n}</div>)}
          <label className="check"><input type="checkbox" data-testid="tune-only-changes" checked={onlyChanges} onChange={(e) => setOnlyChanges(e.target.checked)} />only what {connected ? 'differs from the instance' : 'differs from the defaults'}</label>
          <div className="table-wrap">
            <table className="fleet statements" data-testid="tune-table">
              <thead><tr><th>setting</th>{connected && <th className="num">now</th>}<th className="num">recommended</th><th /><th>why</th>{target && <th />}</tr></thead>
              <tbody>
                {shown.map((r) => (
                  <tr key={r.name} data-testid="tune-row" data-name={r.name} className={connected && r.current !== r.recommended ? 'row-warn' : undefined}>
                    <td><code>{r.name}</code></td>
                    {connected && <td className="num">{r.current ?? '—'}</td>}
                    <td className="num"><strong>{r.recommended}</strong></td>
                    <td>{r.context === 'postmaster' && <span className="tag warn">restart</span>}<span className="tag">{r.confidence}</span></td>
                    <td className="muted reason">{r.reason}</td>
                    {target && (
                      <td>{r.current !== r.recommended && (
                        <ActionButton instance={target} onReplicas action="alter_system" label="Apply" testid="tune-apply" params={{ settings: [{ name: r.name, value: r.recommended }] }}
                          explain={<>{r.reason} {r.context === 'postmaster' ? 'It takes effect at the next restart.' : 'The configuration is reloaded; the answer shows the value before and after.'} To undo: <code>{r.rollbackSql}</code></>}
                          onDone={() => setApplied((n) => n + 1)} />
                      )}</td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {target && changes.length > 0 && (
            <div className="toolbar" data-testid="tune-apply-all">
              <ActionButton instance={target} onReplicas action="alter_system" label={`Apply all ${changes.length} changes on ${target.id}`} testid="tune-apply-all-button"
                params={{ settings: changes.map((r) => ({ name: r.name, value: r.recommended })) }}
                explain={`One ALTER SYSTEM per setting, then a reload; if one is refused, those already written are put back. ${changes.filter((r) => r.context === 'postmaster').length} need a restart.`}
                onDone={() => setApplied((n) => n + 1)} />
            </div>
          )}
          {target && <AppliedChanges instance={target.id} refresh={applied} />}
          <h3 className="section">{target ? 'Or copy' : 'Apply'}</h3>
          <div className="toolbar">
            {OUTPUTS.map((o) => <button key={o} type="button" className={output === o ? 'primary' : undefined} onClick={() => setOutput(o)}>{o === 'sql' ? 'ALTER SYSTEM' : o === 'conf' ? 'postgresql.conf' : 'Patroni'}</button>)}
            <button type="button" onClick={() => { void navigator.clipboard?.writeText(result[output]); }}>Copy</button>
          </div>
          <pre className="tune-output" data-testid="tune-output">{result[output]}</pre>
          <p className="muted">Worst case: {result.advice.memory.formula}.</p>
        </>
      )}
    </main>
  );
}
