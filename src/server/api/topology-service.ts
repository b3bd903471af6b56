import { latestOfMetrics, type InstanceRow, type Store } from '../../store/index.ts';
import { ApiError } from './errors.ts';
import { matchStandbys, roleLane, walReceiverName, type LaneSegment } from './topology.ts';

/** Samples older than this do not describe the present. */
const LOOKBACK_MS = 10 * 60_000;
const TOPOLOGY_EVENTS = ['role.changed', 'instance.down', 'instance.up'];

const REPLICATION_FIELDS = ['write_lag_s', 'flush_lag_s', 'replay_lag_s', 'sent_lag_bytes', 'write_lag_bytes', 'flush_lag_bytes', 'replay_lag_bytes', 'is_sync', 'sync_priority', 'reply_age_s'] as const;
const SLOT_FIELDS = ['retained_bytes', 'safe_wal_size_bytes', 'wal_status', 'xmin_age', 'catalog_xmin_age'] as const;
const RECEIVER_FIELDS = { 'pg_wal_receiver.connected': 'connected', 'pg_wal_receiver.last_msg_age_s': 'last_msg_age_s', 'pg_recovery.replay_lag_bytes': 'replay_lag_bytes', 'pg_recovery.last_replay_age_s': 'last_replay_age_s' } as const;

type Fields<K extends string> = { [k in K]: number | null };

export interface ReplicationLink extends Fields<(typeof REPLICATION_FIELDS)[number]> {
  primary: string;
  /** The standby instance this WAL sender feeds, when it can be told (null: not monitored, or ambiguous). */
  standby: string | null;
  application_name: string;
  client_addr: string;
  state: string;
  ts: number;
}

export interface SlotInfo extends Fields<(typeof SLOT_FIELDS)[number]> {
  instance: string;
  slot_name: string;
  slot_type: string;
  active: boolean;
  ts: number;
}

export interface TopologyMember {
  instance: string;
  role: string;
  up: boolean | null;
  last_seen: number | null;
  version: string | null;
  node: string | null;
  /** For a standby: the member it streams from, when matched. */
  upstream: string | null;
  /** For a standby: its WAL receiver and replay, from its own side. */
  receiver: (Fields<(typeof RECEIVER_FIELDS)[keyof typeof RECEIVER_FIELDS]> & { name: string | null; primary_slot_name: string | null }) | null;
  /** Role (or down) over the window. */
  lane: LaneSegment[];
}

export interface TopologyReply {
  namespace: string;
  cluster: string;
  from: number;
  to: number;
  members: TopologyMember[];
  replication: ReplicationLink[];
  slots: SlotInfo[];
  events: { ts: number; instance: string; kind: string; severity: string; message: string }[];
}

/** A cluster's members, who streams from whom with what lag, its slots, and role changes and outages in a window. */
export class TopologyService {
  constructor(private readonly store: Store) {}

  async topology(namespace: string, cluster: string, from: number, to: number, now = Date.now()): Promise<TopologyReply> {
    const members = (await this.store.inventory.listInstances()).filter((i) => i.namespace === namespace && i.cluster === cluster);
    if (members.length === 0) throw new ApiError('PGFLEET_API_NOT_FOUND', `cluster "${namespace}/${cluster}" is not known`);
    const since = now - LOOKBACK_MS;
    const latest = await Promise.all(members.map((m) => latestOfMetrics(this.store.sql, { kind: 'i', id: m.id }, [
      'pg_up.up', ...REPLICATION_FIELDS.map((f) => `pg_replication.${f}`), ...SLOT_FIELDS.map((f) => `pg_replication_slots.${f}`), ...Object.keys(RECEIVER_FIELDS),
    ], since)));
    // pg_up runs on the same schedule as the replication and slot collectors: a WAL sender or a
    // slot whose newest sample is older than pg_up's newest run by more than an interval is gone.
    const upInterval = (await this.store.timeseries.metricByName('pg_up.up'))?.interval_ms ?? 15_000;
    const standbys = members.filter((m) => m.role === 'replica');
    const settings = await Promise.all(standbys.map((m) => this.store.settings.at(m.id, now)));
    // Unknown (null) until a full snapshot of the standby's settings is stored.
    const receiverNames = standbys.map((m, i) => (settings[i].complete
      ? walReceiverName(settings[i].settings.get('primary_conninfo')?.setting, settings[i].settings.get('cluster_name')?.setting) : null));

    const replication: ReplicationLink[] = [];
    const slots: SlotInfo[] = [];
    const receivers = new Map<string, NonNullable<TopologyMember['receiver']>>(standbys.map((m, i) => [m.name, {
      name: receiverNames[i], primary_slot_name: settings[i].settings.get('primary_slot_name')?.setting || null, ...nulls(Object.values(RECEIVER_FIELDS)),
    }]));
    members.forEach((m, k) => {
      // pg_up runs on the same schedule: what is older than its newest run by more than an interval
      // is gone (a WAL sender that disconnected, a dropped slot); without a pg_up sample nothing is current.
      const upTs = Math.max(-Infinity, ...latest[k].filter((s) => s.metric === 'pg_up.up').map((s) => s.ts));
      const fresh = (ts: number) => Number.isFinite(upTs) && ts >= upTs - 1.5 * upInterval;
      // Labels that change (a sender's state, a slot's active flag) start new series of the same
      // sender or slot: only the samples of its newest run count.
      const newest = new Map<string, number>();
      const keyOf = (s: { metric: string; labels: Record<string, string> }) => (s.metric.startsWith('pg_replication.')
        ? `r\u0000${s.labels.application_name}\u0000${s.labels.client_addr}` : s.metric.startsWith('pg_replication_slots.') ? `s\u0000${s.labels.slot_name}` : `x\u0000${s.metric}`);
      for (const s of latest[k]) newest.set(keyOf(s), Math.max(newest.get(keyOf(s)) ?? 0, s.ts));
      const links = new Map<string, ReplicationLink>();
      const mySlots = new Map<string, SlotInfo>();
      for (const s of latest[k]) {
        if (s.ts !== newest.get(keyOf(s)) || !fresh(s.ts)) continue;
        const [family, field] = splitMetric(s.metric);
        if (family === 'pg_replication') {
          const key = `${s.labels.application_name}\u0000${s.labels.client_addr}`;
          let l = links.get(key);
          if (!l) {
            l = { primary: m.name, standby: null, application_name: s.labels.application_name ?? '', client_addr: s.labels.client_addr ?? '', state: s.labels.state ?? '', ts: s.ts, ...nulls(REPLICATION_FIELDS) };
            links.set(key, l);
          }
          if (s.ts >= l.ts) { l.ts = s.ts; l.state = s.labels.state ?? l.state; }
          (l as unknown as Record<string, number | null>)[field] = s.value;
        } else if (family === 'pg_replication_slots') {
          let sl = mySlots.get(s.labels.slot_name ?? '');
          if (!sl) {
            sl = { instance: m.name, slot_name: s.labels.slot_name ?? '', slot_type: s.labels.slot_type ?? '', active: s.labels.active === 'true', ts: s.ts, ...nulls(SLOT_FIELDS) };
            mySlots.set(sl.slot_name, sl);
          }
          if (s.ts >= sl.ts) { sl.ts = s.ts; sl.active = s.labels.active === 'true'; }
          (sl as unknown as Record<string, number | null>)[field] = s.value;
        } else if (s.metric in RECEIVER_FIELDS) {
          const r = receivers.get(m.name);
          if (!r) continue;
          (r as unknown as Record<string, number | null>)[RECEIVER_FIELDS[s.metric as keyof typeof RECEIVER_FIELDS]] = s.value;
        }
      }
      const current = [...links.values()].sort((a, b) => a.application_name.localeCompare(b.application_name));
      const matched = matchStandbys(current, standbys.filter((s) => s !== m).map((s) => ({ instance: s.name, receiverName: receiverNames[standbys.indexOf(s)] })));
      current.forEach((l, i) => { l.standby = matched[i]; });
      replication.push(...current);
      slots.push(...[...mySlots.values()].sort((a, b) => a.slot_name.localeCompare(b.slot_name)));
    });

    // The newest 1000 events of the window, and each member's first role change after it (its role at the window's end).
    const ids = members.map((m) => m.id);
    const [events, later] = await Promise.all([
      this.store.sql<{ ts: number; instance_id: number; kind: string; severity: string; message: string; details: Record<string, unknown> | null }[]>`
        select * from (select ts, instance_id, kind, severity, message, details from events
          where instance_id = any(${ids}::int[]) and kind = any(${TOPOLOGY_EVENTS}::text[]) and ts > ${from}::bigint and ts <= ${to}::bigint
          order by ts desc limit 1000) e order by ts`,
      this.store.sql<{ instance_id: number; details: Record<string, unknown> | null }[]>`
        select distinct on (instance_id) instance_id, details from events
        where instance_id = any(${ids}::int[]) and kind = 'role.changed' and ts > ${to}::bigint
        order by instance_id, ts`,
    ]);
    const roleAtEnd = new Map(later.map((e) => [e.instance_id, typeof e.details?.from === 'string' ? e.details.from : 'unknown']));
    const nameOf = new Map(members.map((m) => [m.id, m.name]));
    const upstream = new Map(replication.filter((l) => l.standby).map((l) => [l.standby!, l.primary]));
    return {
      namespace, cluster, from, to,
      members: members.map((m: InstanceRow) => ({
        instance: m.name, role: m.role, up: m.up, last_seen: m.last_seen, version: m.version, node: m.node,
        upstream: upstream.get(m.name) ?? null, receiver: receivers.get(m.name) ?? null,
        lane: roleLane(events.filter((e) => e.instance_id === m.id).map((e) => ({ ts: Number(e.ts), kind: e.kind, details: e.details })), roleAtEnd.get(m.id) ?? m.role, from, to),
      })),
      replication, slots,
      events: events.map((e) => ({ ts: Number(e.ts), instance: nameOf.get(e.instance_id)!, kind: e.kind, severity: e.severity, message: e.message })),
    };
  }
}

function splitMetric(name: string): [string, string] {
  const i = name.indexOf('.');
  return [name.slice(0, i), name.slice(i + 1)];
}

function nulls<K extends string>(keys: readonly K[]): Fields<K> {
  return Object.fromEntries(keys.map((k) => [k, null])) as Fields<K>;
}
