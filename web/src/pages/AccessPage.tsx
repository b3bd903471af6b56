import { useState, type FormEvent, type ReactNode } from 'react';
import {
  ApiError, createEnrollmentToken, createToken, createUser, fetchAgents, fetchAudit, fetchEnrollmentTokens, fetchTokens, fetchUsers,
  resetPassword, revokeAgent, revokeEnrollmentToken, revokeToken, setGrants, updateUser, type Grant, type Me,
} from '../api.ts';
import { useFetch } from '../use-fetch.ts';

const TABS = ['users', 'tokens', 'agents', 'audit'] as const;
type Tab = (typeof TABS)[number];

const when = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16));
const grantsText = (g: Grant[]) => g.map((x) => `${x.namespace}=${x.role}`).join(', ') || '—';

/** `prod=viewer, *=operator` → grants; throws with the part that is wrong. */
export function parseGrants(text: string): Grant[] {
  return text.split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
    const m = /^([A-Za-z0-9_*-]+)\s*=\s*(viewer|operator|admin)$/.exec(p);
    if (!m) throw new Error(`"${p}": expected namespace=viewer|operator|admin`);
    return { namespace: m[1], role: m[2] as Grant['role'] };
  });
}

/** A secret shown once, with the reason it is not shown again. */
function Once({ label, value }: { label: string; value: string }) {
  return (
    <div className="card once" data-testid="shown-once">
      <strong>{label}</strong> — shown this once: copy it now; pgfleet keeps only its hash.
      <pre><code>{value}</code></pre>
    </div>
  );
}

function useAction(): [string | null, ReactNode, (f: () => Promise<unknown>) => Promise<void>] {
  const [error, setError] = useState<string | null>(null);
  const run = async (f: () => Promise<unknown>) => {
    setError(null);
    try { await f(); } catch (err) { setError(err instanceof ApiError ? err.message : String(err)); }
  };
  return [error, error ? <div className="error-banner" role="alert">{error}</div> : null, run];
}

function Users() {
  const [n, setN] = useState(0);
  const users = useFetch((s) => fetchUsers(s), [n]);
  const [name, setName] = useState('');
  const [grants, setGrantsText] = useState('');
  const [admin, setAdmin] = useState(false);
  const [shown, setShown] = useState<{ label: string; value: string } | null>(null);
  const [, banner, run] = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await createUser({ name, isAdmin: admin, grants: parseGrants(grants) });
      if (r.oneTimePassword) setShown({ label: `one-time password of ${name}`, value: r.oneTimePassword });
      setName(''); setGrantsText(''); setAdmin(false); setN(n + 1);
    });
  };
  return (
    <section data-testid="access-users">
      {banner}
      {users.error && <div className="error-banner" role="alert">{users.error}</div>}
      {shown && <Once {...shown} />}
      <form className="access-form" onSubmit={create}>
        <input placeholder="user name" value={name} onChange={(e) => setName(e.target.value)} required data-testid="user-name" />
        <input placeholder="roles: prod=viewer, *=operator" value={grants} onChange={(e) => setGrantsText(e.target.value)} data-testid="user-grants" />
        <label><input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} /> system administrator</label>
        <button className="primary" type="submit" data-testid="user-create">Create with a one-time password</button>
      </form>
      <table className="grid">
        <thead><tr><th>user</th><th>source</th><th>roles</th><th>last sign-in</th><th>state</th><th /></tr></thead>
        <tbody>
          {(users.data ?? []).map((u) => (
            <tr key={u.id} data-testid="user-row" data-user={u.name}>
              <td>{u.name}{u.isAdmin ? ' (system admin)' : ''}</td>
              <td>{u.source}</td>
              <td>{grantsText(u.grants)}</td>
              <td>{when(u.lastLoginAt)}</td>
              <td>{u.disabled ? 'disabled' : u.locked ? 'locked' : u.mustChangePassword ? 'must choose a password' : 'active'}</td>
              <td className="actions">
                {u.source === 'local' && <button type="button" className="reset" onClick={() => void run(async () => {
                  const r = await resetPassword(u.id);
                  if (r.oneTimePassword) setShown({ label: `one-time password of ${u.name}`, value: r.oneTimePassword });
                  setN(n + 1);
                })}>reset password</button>}
                {u.source === 'local' && <button type="button" className="reset" onClick={() => {
                  const text = window.prompt(`Roles of ${u.name} (namespace=role, …)`, u.grants.map((g) => `${g.namespace}=${g.role}`).join(', '));
                  if (text !== null) void run(async () => { await setGrants(u.id, parseGrants(text)); setN(n + 1); });
                }}>roles</button>}
                <button type="button" className="reset" onClick={() => void run(async () => { await updateUser(u.id, { disabled: !u.disabled }); setN(n + 1); })}>{u.disabled ? 'enable' : 'disable'}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Tokens({ me }: { me: Me }) {
  const [n, setN] = useState(0);
  const tokens = useFetch((s) => fetchTokens(s), [n]);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState(me.grants.map((g) => `${g.namespace}=viewer`).join(', '));
  const [days, setDays] = useState(90);
  const [shown, setShown] = useState<{ label: string; value: string } | null>(null);
  const [, banner, run] = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await createToken({ name, scopes: parseGrants(scopes), expiresInDays: days });
      setShown({ label: `API token ${name}`, value: r.token });
      setName(''); setN(n + 1);
    });
  };
  return (
    <section data-testid="access-tokens">
      {banner}
      {tokens.error && <div className="error-banner" role="alert">{tokens.error}</div>}
      {shown && <Once {...shown} />}
      <form className="access-form" onSubmit={create}>
        <input placeholder="what it is for" value={name} onChange={(e) => setName(e.target.value)} required data-testid="token-name" />
        <input placeholder="scopes: prod=viewer" value={scopes} onChange={(e) => setScopes(e.target.value)} data-testid="token-scopes" />
        <label>expires in <input type="number" min={1} max={366} value={days} onChange={(e) => setDays(Number(e.target.value))} style={{ width: 70 }} /> days</label>
        <button className="primary" type="submit" data-testid="token-create">Make a token</button>
      </form>
      <p className="hint">A token acts for you, within its scopes, and never beyond your own roles at the time it is used.</p>
      <table className="grid">
        <thead><tr><th>name</th><th>prefix</th><th>scopes</th><th>expires</th><th>last used</th><th /></tr></thead>
        <tbody>
          {(tokens.data ?? []).map((t) => (
            <tr key={t.id} data-testid="token-row">
              <td>{t.name}</td><td><code>pgf_{t.prefix}_…</code></td><td>{grantsText(t.scopes)}</td><td>{when(t.expiresAt)}</td><td>{when(t.lastUsedAt)}</td>
              <td>{t.revokedAt ? `revoked ${when(t.revokedAt)}` : <button type="button" className="reset" onClick={() => void run(async () => { await revokeToken(t.id); setN(n + 1); })}>revoke</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Agents({ me }: { me: Me }) {
  const [n, setN] = useState(0);
  const agents = useFetch((s) => fetchAgents(s), [n]);
  const tokens = useFetch((s) => fetchEnrollmentTokens(s), [n]);
  const adminOf = me.isAdmin ? null : me.grants.filter((g) => g.role === 'admin').map((g) => g.namespace);
  const [namespace, setNamespace] = useState(adminOf?.[0] ?? '');
  const [shown, setShown] = useState<{ label: string; value: string } | null>(null);
  const [, banner, run] = useAction();
  return (
    <section data-testid="access-agents">
      {banner}
      {(agents.error ?? tokens.error) && <div className="error-banner" role="alert">{agents.error ?? tokens.error}</div>}
      {shown && <Once {...shown} />}
      <form className="access-form" onSubmit={(e) => { e.preventDefault(); void run(async () => { const r = await createEnrollmentToken(namespace, 24); setShown({ label: `enrollment token for ${namespace} (24 h)`, value: r.token }); setN(n + 1); }); }}>
        <input placeholder="namespace" value={namespace} onChange={(e) => setNamespace(e.target.value)} required data-testid="enroll-namespace" />
        <button className="primary" type="submit" data-testid="enroll-create">Make an enrollment token</button>
        <span className="hint">then on the agent's host: <code>pgfleet enroll --server {location.origin} --token pge_… --id &lt;agent&gt;</code></span>
      </form>
      <h3>Enrolled agents</h3>
      <table className="grid">
        <thead><tr><th>agent</th><th>namespace</th><th>NATS key</th><th>enrolled</th><th /></tr></thead>
        <tbody>
          {(agents.data ?? []).map((a) => (
            <tr key={a.agent} data-testid="agent-row"><td>{a.agent}</td><td>{a.namespace}</td><td><code>{a.nkey ? `${a.nkey.slice(0, 10)}…` : '—'}</code></td><td>{when(a.enrolledAt)}</td>
              <td>{a.revokedAt ? `revoked ${when(a.revokedAt)}` : <button type="button" className="reset" onClick={() => void run(async () => { await revokeAgent(a.agent); setN(n + 1); })}>revoke</button>}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Enrollment tokens</h3>
      <table className="grid">
        <thead><tr><th>prefix</th><th>namespace</th><th>by</th><th>expires</th><th>uses left</th><th /></tr></thead>
        <tbody>
          {(tokens.data ?? []).map((t) => (
            <tr key={t.id}><td><code>pge_{t.prefix}_…</code></td><td>{t.namespace}</td><td>{t.createdBy}</td><td>{when(t.expiresAt)}</td><td>{t.usesLeft ?? 'any'}</td>
              <td>{t.revokedAt ? 'revoked' : <button type="button" className="reset" onClick={() => void run(async () => { await revokeEnrollmentToken(t.id); setN(n + 1); })}>revoke</button>}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Audit() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [result, setResult] = useState('');
  const [q, setQ] = useState({ actor: '', action: '', result: '' });
  const audit = useFetch((s) => fetchAudit({ ...q, limit: 200 }, s), [q]);
  return (
    <section data-testid="access-audit">
      {audit.error && <div className="error-banner" role="alert">{audit.error}</div>}
      <form className="access-form" onSubmit={(e) => { e.preventDefault(); setQ({ actor, action, result }); }}>
        <input placeholder="actor" value={actor} onChange={(e) => setActor(e.target.value)} data-testid="audit-actor" />
        <input placeholder="action (prefix: users.)" value={action} onChange={(e) => setAction(e.target.value)} data-testid="audit-action" />
        <select value={result} onChange={(e) => setResult(e.target.value)} data-testid="audit-result">
          <option value="">any result</option><option value="ok">ok</option><option value="denied">denied</option><option value="failed">failed</option>
        </select>
        <button className="primary" type="submit" data-testid="audit-filter">Filter</button>
      </form>
      <table className="grid">
        <thead><tr><th>when</th><th>who</th><th>from</th><th>what</th><th>on</th><th>namespace</th><th>result</th></tr></thead>
        <tbody>
          {(audit.data ?? []).map((e) => (
            <tr key={e.id} data-testid="audit-row" className={e.result === 'ok' ? '' : 'warn'}>
              <td>{when(e.ts)}</td><td>{e.actor}</td><td>{e.ip ?? ''}</td><td><code title={e.detail ? JSON.stringify(e.detail) : ''}>{e.action}</code></td>
              <td>{e.target ?? ''}</td><td>{e.namespace ?? ''}</td><td>{e.result}{e.status ? ` (${e.status})` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Users, API tokens, agents and the audit log: what each may see and do (docs/access.md). */
export function AccessPage({ me }: { me: Me }) {
  const tabs = TABS.filter((t) => me.isAdmin || t === 'tokens' || t === 'agents');
  const [tab, setTab] = useState<Tab>(tabs[0]);
  return (
    <main className="page">
      <div className="page-head"><h1>Access</h1>
        <nav className="tabs">{tabs.map((t) => <button key={t} type="button" className={t === tab ? 'tab active' : 'tab'} onClick={() => setTab(t)} data-testid={`tab-${t}`}>{t}</button>)}</nav>
      </div>
      {tab === 'users' && <Users />}
      {tab === 'tokens' && <Tokens me={me} />}
      {tab === 'agents' && <Agents me={me} />}
      {tab === 'audit' && <Audit />}
    </main>
  );
}
