// `/clusters/:namespace/:cluster`: who streams from whom with what lag, the replication slots,
// and each member's role over the window (role changes and outages on one time axis).
import { useEffect, useReducer } from 'react';
import { fetchTopology, type LaneState, type ReplicationLink, type SlotInfo, type Topology, type TopologyMember } from '../api.ts';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { RangePicker } from '../components/RangePicker.tsx';
import { formatAgo, formatBytes, formatSeconds } from '../format.ts';
import { useLiveRefresh, useNow } from '../live.ts';
import { currentSearch, instancePath, Link, replaceSearch } from '../router.tsx';
import { rangeFromSearch, rangeReducer, rangeToSearch, windowOf } from '../time-range.ts';
import { useFetch } from '../use-fetch.ts';

const bytes = (v: number | null): string => (v === null ? '—' : formatBytes(v));
const secs = (v: number | null): string => (v === null ? '—' : formatSeconds(v));
const WAL_STATUS = ['reserved', 'extended', 'unreserved', 'lost'];

const LANE_LABEL: Record<LaneState, string> = { primary: 'primary', replica: 'replica', down: 'down', unknown: 'unknown' };

/** One member as a card: role, status, and for a standby its receiver and replay. */
function MemberCard({ m, link, now }: { m: TopologyMember; link?: ReplicationLink; now: number }) {
  const status = m.up === false ? 'down' : m.last_seen !== null && now - m.last_seen > 60_000 ? 'stale' : 'up';
  return (
    <div className={`member-card ${m.role}`} data-testid="member" data-instance={m.instance} data-role={m.role}>
      <div className="member-title">
        <Link to={instancePath(m.instance)}><strong>{m.instance}</strong></Link>
        <span className={`role role-${m.role}`}>{m.role}</span>
        <span className={`badge badge-${status}`}>{status}</span>
      </div>
      <div className="muted">{m.node ?? '—'} · {m.version?.replace(/^PostgreSQL (\S+).*$/, 'PostgreSQL $1') ?? '—'}</div>
      {link && (
        <div className="member-lag" data-testid="member-lag">
          replay lag <strong>{bytes(link.replay_lag_bytes)}</strong>{link.replay_lag_s !== null ? ` · ${secs(link.replay_lag_s)}` : ''} · {link.state}{link.is_sync ? ' · sync' : ''}
        </div>
      )}
      {m.receiver && (
        <div className="muted">
          receiver {m.receiver.connected === 1 ? 'streaming' : m.receiver.connected === 0 ? <span className="warn-text">not streaming</span> : '—'}
          {m.receiver.last_msg_age_s !== null ? `, last message ${secs(m.receiver.last_msg_age_s)} ago` : ''}
          {m.receiver.primary_slot_name ? `, slot ${m.receiver.primary_slot_name}` : ''}
        </div>
      )}
    </div>
  );
}

/** Primaries with their standbys under them; standbys whose upstream is unknown on their own row. */
function Diagram({ t, now }: { t: Topology; now: number }) {
  const primaries = t.members.filter((m) => m.role === 'primary');
  const placed = new Set(primaries.map((p) => p.instance));
  const linkTo = new Map(t.replication.filter((l) => l.standby).map((l) => [l.standby!, l]));
  const loose = t.members.filter((m) => !placed.has(m.instance) && !(m.upstream && placed.has(m.upstream)));
  return (
    <div className="topology" data-testid="topology">
      {primaries.map((p) => {
        const standbys = t.members.filter((m) => m.upstream === p.instance);
        const unknown = t.replication.filter((l) => l.primary === p.instance && !l.standby);
        return (
          <div key={p.instance} className="topology-tree">
            <MemberCard m={p} now={now} />
            {(standbys.length > 0 || unknown.length > 0) && (
              <div className="topology-children">
                {standbys.map((s) => <MemberCard key={s.instance} m={s} link={linkTo.get(s.instance)} now={now} />)}
                {unknown.map((l) => (
                  <div key={`${l.application_name}/${l.client_addr}`} className="member-card unmonitored" data-testid="unmonitored-standby">
                    <div className="member-title"><strong>{l.application_name || 'standby'}</strong> <span className="role">not monitored</span></div>
                    <div className="muted">{l.client_addr || 'local socket'} · {l.state}</div>
                    <div className="member-lag">replay lag <strong>{bytes(l.replay_lag_bytes)}</strong></div>
                  </div>
                ))}
              </div>
            )}
          </div>
        );
      })}
      {loose.length > 0 && (
        <div className="topology-tree">
          {loose.map((m) => <MemberCard key={m.instance} m={m} now={now} />)}
        </div>
      )}
    </div>
  );
}

/** Each member's role over the window, one lane each, with role changes and outages marked. */
function Lanes({ t }: { t: Topology }) {
  const span = Math.max(1, t.to - t.from);
  const x = (ts: number) => `${(((ts - t.from) / span) * 100).toFixed(3)}%`;
  return (
    <div className="lanes" data-testid="lanes">
      {t.members.map((m) => (
        <div key={m.instance} className="lane-row" data-instance={m.instance}>
          <div className="lane-name">{m.instance}</div>
          <div className="lane">
            {m.lane.map((s) => (
              <div key={s.from} className={`lane-seg ${s.state}`} data-state={s.state} style={{ left: x(s.from), width: `calc(${x(s.to)} - ${x(s.from)})` }}
                title={`${LANE_LABEL[s.state]}: ${new Date(s.from).toLocaleString()} – ${new Date(s.to).toLocaleString()}`} />
            ))}
            {t.events.filter((e) => e.instance === m.instance).map((e) => (
              <div key={`${e.ts}/${e.kind}`} className={`lane-event ${e.severity}`} style={{ left: x(e.ts) }} title={`${new Date(e.ts).toLocaleString()}: ${e.message}`} />
            ))}
          </div>
        </div>
      ))}
      <div className="lane-row axis">
        <div className="lane-name" />
        <div className="lane-axis"><span>{new Date(t.from).toLocaleString()}</span><span>{new Date(t.to).toLocaleString()}</span></div>
      </div>
      <div className="lane-legend muted">
        {(['primary', 'replica', 'down'] as const).map((s) => <span key={s}><i className={`lane-seg ${s}`} /> {s}</span>)}
      </div>
    </div>
  );
}

const LINK_COLUMNS: Column<ReplicationLink>[] = [
  { key: 'primary', label: 'from', value: (l) => l.primary, cell: (l) => <Link to={instancePath(l.primary)}>{l.primary}</Link> },
  { key: 'standby', label: 'to', value: (l) => l.standby ?? l.application_name, cell: (l) => (l.standby ? <Link to={instancePath(l.standby)}>{l.standby}</Link> : <span>{l.application_name} <small className="muted">{l.client_addr}</small></span>) },
  { key: 'state', label: 'state', value: (l) => l.state, cell: (l) => <>{l.state}{l.is_sync ? <span className="tag">sync</span> : null}</> },
  { key: 'replay_lag_bytes', label: 'replay lag', num: true, value: (l) => l.replay_lag_bytes, cell: (l) => bytes(l.replay_lag_bytes) },
  { key: 'replay_lag_s', label: 'replay lag (time)', num: true, value: (l) => l.replay_lag_s, cell: (l) => secs(l.replay_lag_s) },
  { key: 'flush_lag_bytes', label: 'flush lag', num: true, value: (l) => l.flush_lag_bytes, cell: (l) => bytes(l.flush_lag_bytes) },
  { key: 'sent_lag_bytes', label: 'not sent', num: true, value: (l) => l.sent_lag_bytes, cell: (l) => bytes(l.sent_lag_bytes) },
  { key: 'reply_age_s', label: 'last reply', num: true, value: (l) => l.reply_age_s, cell: (l) => (l.reply_age_s === null ? '—' : `${secs(l.reply_age_s)} ago`) },
];

const SLOT_COLUMNS: Column<SlotInfo>[] = [
  { key: 'slot_name', label: 'slot', value: (s) => s.slot_name, cell: (s) => <><code>{s.slot_name}</code>{!s.active && <span className="tag warn" title="no consumer connected: WAL is kept for it">inactive</span>}</> },
  { key: 'instance', label: 'on', value: (s) => s.instance },
  { key: 'slot_type', label: 'type', value: (s) => s.slot_type },
  { key: 'retained_bytes', label: 'WAL retained', num: true, value: (s) => s.retained_bytes, cell: (s) => bytes(s.retained_bytes) },
  { key: 'safe_wal_size_bytes', label: 'safe WAL left', num: true, title: 'WAL that can still be written before the slot is lost to max_slot_wal_keep_size', value: (s) => s.safe_wal_size_bytes, cell: (s) => (s.safe_wal_size_bytes === null ? 'unlimited' : bytes(s.safe_wal_size_bytes)) },
  { key: 'wal_status', label: 'WAL status', value: (s) => s.wal_status, cell: (s) => (s.wal_status === null ? '—' : <span className={s.wal_status >= 2 ? 'warn-text' : undefined}>{WAL_STATUS[s.wal_status] ?? s.wal_status}</span>) },
  { key: 'xmin_age', label: 'xmin age', num: true, title: 'transactions since the xmin the slot holds back', value: (s) => s.xmin_age ?? s.catalog_xmin_age, cell: (s) => String(s.xmin_age ?? s.catalog_xmin_age ?? '—') },
];

export function ClusterPage({ namespace, cluster }: { namespace: string; cluster: string }) {
  const [range, dispatch] = useReducer(rangeReducer, currentSearch() || 'range=24h', (search) => rangeFromSearch(search, Date.now()));
  const now = useNow(5000);
  const search = rangeToSearch(range);
  useEffect(() => { replaceSearch(search); }, [search]);
  useEffect(() => { document.title = `${cluster} · topology · pgfleet`; }, [cluster]);
  useLiveRefresh(() => dispatch({ type: 'tick', now: Date.now() }), { enabled: range.live });
  const { from, to } = windowOf(range);
  const t = useFetch((signal) => fetchTopology(namespace, cluster, from, to, signal), [namespace, cluster, Math.floor(from / 5000), Math.floor(to / 5000)]);
  return (
    <main className="page">
      {t.error && <ErrorBanner message={t.error} />}
      <div className="instance-header">
        <h1>{cluster} <span className="muted">{namespace}</span></h1>
        {t.data && <span className="muted">{t.data.members.length} member{t.data.members.length === 1 ? '' : 's'} · {t.data.replication.length} stream{t.data.replication.length === 1 ? '' : 's'} · {t.data.slots.length} slot{t.data.slots.length === 1 ? '' : 's'}</span>}
      </div>
      <div className="toolbar">
        <RangePicker range={range} onPreset={(preset) => dispatch({ type: 'preset', preset, now: Date.now() })}
          onLive={(live) => dispatch({ type: 'live', live, now: Date.now() })} onReset={() => dispatch({ type: 'reset', now: Date.now() })} />
      </div>
      {t.data && (
        <>
          <Diagram t={t.data} now={now} />
          <h3 className="section">Roles over the window</h3>
          <Lanes t={t.data} />
          {t.data.events.length > 0 && (
            <ul className="event-list" data-testid="topology-events">
              {t.data.events.map((e) => <li key={`${e.ts}/${e.instance}/${e.kind}`} data-kind={e.kind}><span className="muted">{new Date(e.ts).toLocaleString()} ({formatAgo(e.ts, now)})</span> <strong>{e.instance}</strong> {e.message}</li>)}
            </ul>
          )}
          <h3 className="section">Streams</h3>
          <DataTable testid="streams" rows={t.data.replication} columns={LINK_COLUMNS} rowKey={(l) => `${l.primary}/${l.application_name}/${l.client_addr}`} initialSort="replay_lag_bytes"
            empty="No WAL sender on any primary of this cluster (pg_stat_replication is empty)." />
          <h3 className="section">Replication slots</h3>
          <DataTable testid="slots" rows={t.data.slots} columns={SLOT_COLUMNS} rowKey={(s) => `${s.instance}/${s.slot_name}`} initialSort="retained_bytes"
            rowClass={(s) => (!s.active ? 'row-warn' : undefined)} empty="No replication slot on any member." />
        </>
      )}
      {!t.data && !t.error && <p className="muted">loading…</p>}
    </main>
  );
}
