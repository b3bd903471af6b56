import type { ColumnDef } from '../catalog/index.ts';
import type { Model } from './values.ts';

const zero: Model = { m: 'const', lo: 0, hi: 0 };
const one: Model = { m: 'const', lo: 1, hi: 1 };
const isReplica: Model = { m: 'role', primary: zero, replica: one };
/** WAL positions and transaction IDs never go back; they are drawn per cluster (see sharedKey). */
const lsn: Model = { m: 'counter', lo: 2e3, hi: 2e6, noReset: true };
const smallLag: Model = { m: 'spike', p: 0.3, lo: 0.001, hi: 2 };

/** Metrics whose behaviour the generic rules would get wrong. */
const OVERRIDES: Record<string, Model> = {
  'pg_up.up': one,
  'pg_up.is_replica': isReplica,
  'pg_up.uptime_s': { m: 'uptime' },
  'pg_recovery.in_recovery': isReplica,
  'pg_recovery.replay_paused': zero,
  'pg_recovery.replay_pause_requested': zero,
  'pg_recovery.last_replay_age_s': { m: 'age', lo: 1, hi: 30 },
  'pg_recovery.replay_lag_bytes': { m: 'spike', p: 0.3, lo: 100, hi: 1e6, dp: 0 },
  'pg_recovery.receive_lsn': lsn,
  'pg_recovery.replay_lsn': lsn,
  'pg_wal.lsn': lsn,
  'pg_wal.replay_delay_s': { m: 'role', primary: zero, replica: smallLag },
  'pg_wal_receiver.flushed_lsn': lsn,
  'pg_wal_receiver.connected': one,
  'pg_wal_receiver.received_tli': one,
  'pg_wal_receiver.last_msg_age_s': { m: 'age', lo: 1, hi: 10 },
  'pg_wal_receiver.latest_end_age_s': { m: 'age', lo: 1, hi: 10 },
  'pg_checkpointer.timeline_id': one,
  'pg_checkpointer.last_checkpoint_age_s': { m: 'age', lo: 300, hi: 300 },
  'pg_checkpointer.next_oid': { m: 'grow', lo: 2e4, hi: 1e6, rate: [1e-5, 1e-2], q: 1 },
  'pg_checkpointer.wal_since_redo_bytes': { m: 'walk', lo: 1e5, hi: 1e8, q: 8192, amp: 0.9 },
  'pg_xid.next_xid': { m: 'counter', lo: 0.1, hi: 500, noReset: true },
  'pg_activity.max_connections': { m: 'const', lo: 100, hi: 100 },
  'pg_table.autovacuum_enabled': one,
  'pg_replication.is_sync': zero,
  'pg_replication.sync_priority': zero,
  'pg_replication.reply_age_s': { m: 'age', lo: 1, hi: 10 },
  'pg_replication_slots.wal_status': zero,
  'pg_replication_slots.conflicting': zero,
  'pg_stat_archiver.failing': zero,
  'pg_sequences.remaining_calls': { m: 'const', lo: 1e8, hi: 2.1e9 },
  'node_load.load1': { m: 'walk', lo: 0.05, hi: 4, dp: 2, amp: 0.6 },
  'node_load.load5': { m: 'walk', lo: 0.05, hi: 4, dp: 2, amp: 0.4 },
  'node_load.load15': { m: 'walk', lo: 0.05, hi: 4, dp: 2, amp: 0.2 },
  'node_disk.io_in_progress': { m: 'spike', p: 0.2, lo: 1, hi: 8, dp: 0 },
};

/** Counters of events that seldom happen: most never move. */
const RARE = /deadlock|conflict|confl_|fail|error|abandoned|fatal|killed|checksum|spill|stream_|timeout|_req$|fsync|dropped|truncate|restartpoint|zeroed|sessions$|maxwritten/;
const COUNT = /count|numbackends|operations|files|segments|tables|indexes|sequences|running|prepared|idle_in_xact|waiting|blocked|blocking|_tup$|ssl|socket|workers|enabled|total$|done$|scanned|vacuumed|written$|processed/;

/**
 * How a metric moves: its override, else a rule from its kind, unit and name
 * (PostgreSQL's own column names say a lot: `*_age_s` is a time since, `*_bytes`
 * a size, `deadlocks` a rare event).
 */
export function modelFor(metric: string, column: string, col: ColumnDef): Model {
  const o = OVERRIDES[metric];
  if (o) return o;
  if (col.usage === 'counter') {
    if (/lsn$/.test(column)) return lsn;
    if (/^next_multi/.test(column)) return { m: 'counter', lo: 1e-3, hi: 1, noReset: true };
    if (RARE.test(column)) return { m: 'counter', lo: 1e-5, hi: 1e-2, idle: 0.6 };
    switch (col.unit) {
      case 'bytes': return { m: 'counter', lo: 1e2, hi: 1e7, idle: 0.2 };
      case 'ms': return { m: 'counter', lo: 1e-3, hi: 1e3, idle: 0.2, dp: 3 };
      case 'seconds': return { m: 'counter', lo: 1e-3, hi: 2, idle: 0.1, dp: 2 };
      default: return { m: 'counter', lo: 1e-3, hi: 2e3, idle: 0.2 };
    }
  }
  switch (col.unit) {
    case 'timestamp': return { m: 'started' };
    case 'ratio': return { m: 'walk', lo: 0.001, hi: 0.9, dp: 4 };
    case 'seconds':
      if (/_age_s$/.test(column)) return { m: 'age', lo: 60, hi: 86_400 };
      if (/duration|delay|lag|wait/.test(column)) return smallLag;
      return { m: 'walk', lo: 0.01, hi: 100, dp: 3 };
    case 'bytes':
      if (/lag|retained|safe_wal|distance|confirmed/.test(column)) return { m: 'spike', p: 0.5, lo: 100, hi: 1e7, dp: 0 };
      if (/^(available|free|cached|buffers|dirty|avail_bytes)$/.test(column)) return { m: 'walk', lo: 1e6, hi: 8e9, q: 4096 };
      return { m: 'grow', lo: 8192, hi: 5e9, rate: [1e-3, 100], q: 8192 };
    case 'ms': return smallLag;
  }
  if (/_age$/.test(column)) return { m: 'xidage', lo: 1e3, hi: 2e8 };
  if (/^n_(live|dead|mod|ins)/.test(column)) return { m: 'grow', lo: 0, hi: 1e7, rate: [1e-4, 10], q: 1 };
  if (/^max_|progress|_total$/.test(column) && !COUNT.test(column)) return { m: 'spike', p: 0.1, lo: 1, hi: 1e5, dp: 0 };
  if (COUNT.test(column)) return { m: 'level', lo: 0, hi: 40 };
  return { m: 'level', lo: 0, hi: 100 };
}

/**
 * Series that primary and replica of a cluster share (WAL positions, XIDs): their
 * hash is keyed by cluster, so the replica follows its primary.
 */
export function isClusterWide(metric: string, model: Model): boolean {
  return (model.m === 'counter' && model.noReset === true) || metric === 'pg_checkpointer.timeline_id';
}
