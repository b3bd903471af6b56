import type { CollectorDef } from '../catalog/index.ts';
import type { SimInstance } from './instance.ts';
import { settingNames, settingTuples } from './settings-rows.ts';
import type { Model } from './values.ts';

/** One result row of a collector: its labels, and what differs from the metric's own model. */
export interface Tuple {
  l: Record<string, string>;
  /** A constant or a model for some columns of this row; with `only`, the others are NULL. */
  m?: Record<string, Model | number>;
  only?: boolean;
  /** The share of runs in which the row is there (default: always). */
  p?: number;
  /** The row exists on this role only. */
  role?: 'primary' | 'replica';
}

const level = (lo: number, hi: number): Model => ({ m: 'level', lo, hi });
/** A row whose `column` is a count in [lo, hi]. */
const counted = (column: string) => (l: Record<string, string>, lo: number, hi: number, p?: number, role?: Tuple['role']): Tuple =>
  ({ l, m: { [column]: lo === hi ? lo : level(lo, hi) }, ...(p !== undefined ? { p } : {}), ...(role ? { role } : {}) });

const byState = counted('count');
const ACTIVITY = (i: SimInstance): Tuple[] => [
  byState({ state: 'idle', backend_type: 'client backend', wait_event_type: 'Client' }, 5, 60),
  byState({ state: 'active', backend_type: 'client backend', wait_event_type: 'none' }, 0, 6),
  byState({ state: 'active', backend_type: 'client backend', wait_event_type: 'IO' }, 1, 3, 0.3),
  byState({ state: 'active', backend_type: 'client backend', wait_event_type: 'LWLock' }, 1, 2, 0.1),
  byState({ state: 'active', backend_type: 'client backend', wait_event_type: 'Lock' }, 1, 2, 0.05, 'primary'),
  byState({ state: 'idle in transaction', backend_type: 'client backend', wait_event_type: 'Client' }, 1, 3, 0.3, 'primary'),
  byState({ state: 'active', backend_type: 'autovacuum worker', wait_event_type: 'none' }, 1, 3, 0.2, 'primary'),
  ...['checkpointer', 'background writer'].map((b) => byState({ state: 'none', backend_type: b, wait_event_type: 'Activity' }, 1, 1)),
  ...['walwriter', 'autovacuum launcher', 'logical replication launcher'].map((b) => byState({ state: 'none', backend_type: b, wait_event_type: 'Activity' }, 1, 1, 1, 'primary')),
  ...(i.peer ? [byState({ state: 'active', backend_type: 'walsender', wait_event_type: 'Activity' }, 1, 1, 1, 'primary')] : []),
  ...['startup', 'walreceiver'].map((b) => byState({ state: 'none', backend_type: b, wait_event_type: 'Activity' }, 1, 1, 1, 'replica')),
];

const WAIT = (i: SimInstance): Tuple[] => [
  byState({ wait_event_type: 'Running', wait_event: 'Running' }, 1, 4, 0.8),
  byState({ wait_event_type: 'Client', wait_event: 'ClientRead' }, 5, 60),
  byState({ wait_event_type: 'IO', wait_event: 'DataFileRead' }, 1, 3, 0.3),
  byState({ wait_event_type: 'LWLock', wait_event: 'WALWrite' }, 1, 2, 0.1, 'primary'),
  byState({ wait_event_type: 'Lock', wait_event: 'transactionid' }, 1, 2, 0.05, 'primary'),
  ...['CheckpointerMain', 'BgWriterHibernate'].map((e) => byState({ wait_event_type: 'Activity', wait_event: e }, 1, 1)),
  ...['WalWriterMain', 'AutoVacuumMain', 'LogicalLauncherMain', ...(i.peer ? ['WalSenderMain'] : [])]
    .map((e) => byState({ wait_event_type: 'Activity', wait_event: e }, 1, 1, 1, 'primary')),
  ...['RecoveryWalStream', 'WalReceiverMain'].map((e) => byState({ wait_event_type: 'Activity', wait_event: e }, 1, 1, 1, 'replica')),
];

const LOCKS_BY_MODE: Tuple[] = [
  byState({ mode: 'AccessShareLock', granted: 'true' }, 2, 40),
  byState({ mode: 'RowExclusiveLock', granted: 'true' }, 1, 20, 0.7, 'primary'),
  byState({ mode: 'ExclusiveLock', granted: 'true' }, 1, 10),
  byState({ mode: 'ShareUpdateExclusiveLock', granted: 'true' }, 1, 3, 0.2, 'primary'),
  byState({ mode: 'ShareLock', granted: 'false' }, 1, 1, 0.03, 'primary'),
];
const byType = counted('locktype_count');
const LOCKS_BY_TYPE: Tuple[] = [
  byType({ locktype: 'relation', granted: 'true' }, 2, 50),
  byType({ locktype: 'virtualxid', granted: 'true' }, 1, 10),
  byType({ locktype: 'transactionid', granted: 'true' }, 1, 10, 0.7, 'primary'),
  byType({ locktype: 'transactionid', granted: 'false' }, 1, 1, 0.03, 'primary'),
];
const rareCount: Model = { m: 'spike', p: 0.03, lo: 1, hi: 3, dp: 0 };

const CPU_SHARE: Record<string, number> = { user: 0.15, nice: 0.001, system: 0.05, idle: 0.75, iowait: 0.02, irq: 0.001, softirq: 0.01, steal: 0.005 };
const SLRU_16 = ['CommitTs', 'MultiXactMember', 'MultiXactOffset', 'Notify', 'Serial', 'Subtrans', 'Xact', 'other'];
const SLRU_17 = ['commit_timestamp', 'multixact_member', 'multixact_offset', 'notify', 'serializable', 'subtransaction', 'transaction', 'other'];
const IO_CONTEXTS = ['normal', 'bulkread', 'bulkwrite', 'vacuum'];
const IO_ROWS: [string, string, string[]][] = [
  ['client backend', 'relation', IO_CONTEXTS], ['client backend', 'temp relation', ['normal']],
  ['autovacuum worker', 'relation', ['normal', 'vacuum']], ['autovacuum launcher', 'relation', ['normal']],
  ['background worker', 'relation', IO_CONTEXTS], ['background writer', 'relation', ['normal']],
  ['checkpointer', 'relation', ['normal']], ['startup', 'relation', IO_CONTEXTS], ['walsender', 'relation', ['normal']],
];

type Builder = (i: SimInstance, tables: string[]) => Tuple[];

/** Rows by collector and label set; a label set not here gets the generic rows of `tuplesFor`. */
const BUILDERS: Record<string, Builder> = {
  'pg_activity|state,backend_type,wait_event_type': ACTIVITY,
  'pg_wait|wait_event_type,wait_event': WAIT,
  'pg_locks|mode,granted': () => LOCKS_BY_MODE,
  'pg_locks|locktype,granted': () => LOCKS_BY_TYPE,
  'pg_locks|': () => [{ l: {}, m: { waiting: rareCount, blocked_backends: rareCount, blocking_backends: rareCount } }],
  'pg_replication|application_name,client_addr,state': (i) => i.peer && i.role === 'primary'
    ? [{ l: { application_name: i.peer, client_addr: `10.${(i.index >> 8) & 255}.${i.index & 255}.${(i.index + 1) & 255}`, state: 'streaming' } }] : [],
  // A physical slot: no xmin without hot_standby_feedback, no safe size with max_slot_wal_keep_size -1, no inactive age while active.
  'pg_replication_slots|slot_name,slot_type,active': (i) => i.peer && i.role === 'primary'
    ? [{ l: { slot_name: i.peer.replace(/-/g, '_'), slot_type: 'physical', active: 'true' }, m: { retained_bytes: { m: 'walk', lo: 1e6, hi: 5e8, q: 8192, amp: 0.9 }, wal_status: 0 }, only: true }] : [],
  'pg_stat_slru|name': (i) => (i.version_num >= 170000 ? SLRU_17 : SLRU_16).map((name) => ({ l: { name } })),
  'pg_stat_io|backend_type,object,context': () => IO_ROWS.flatMap(([b, o, cs]) => cs.map((c) => ({ l: { backend_type: b, object: o, context: c } }))),
  'pg_stat_replication_slots|slot_name': () => [],
  'pg_stat_progress_basebackup|phase': () => [],
  'pg_stat_subscription|datname,subname': () => [],
  'pg_stat_user_functions|datname,schemaname,funcname': () => [],
  'pg_publication|datname,pubname': () => [],
  'pg_subscription_rel|datname,subname,state': () => [],
  'pg_default_partition|datname,schemaname,relname,parent': () => [],
  'pg_index|datname,schemaname,relname,indexrelname': (_, t) => t.flatMap((r, j) => [
    { l: { schemaname: 'public', relname: r, indexrelname: `${r}_pkey` } },
    ...(j % 3 === 0 ? [{ l: { schemaname: 'public', relname: r, indexrelname: `${r}_created_at_idx` } }] : []),
  ]),
  'pg_index|datname': (_, t) => [{ l: {}, m: { indexes: t.length + Math.ceil(t.length / 3), invalid_count: 0, invalid_bytes: 0, unused_count: level(0, 3) } }],
  'pg_sequences|datname,schemaname,sequencename': (_, t) => t.filter((_r, j) => j % 5 === 0).map((r) => ({ l: { schemaname: 'public', sequencename: `${r}_id_seq` } })),
  'pg_sequences|datname': (_, t) => [{ l: {}, m: { sequences: Math.ceil(t.length / 5), sequences_unreadable: 0 } }],
  'pg_relkind|datname,relkind': (_, t) => ([['table', 68 + t.length], ['index', 150 + Math.ceil(t.length * 4 / 3)], ['toast table', 33 + Math.ceil(t.length / 2)],
    ['sequence', Math.ceil(t.length / 5)], ['view', 140]] as const).map(([relkind, n]) => ({ l: { relkind }, m: { count: n } })),
  'pg_stat_progress_vacuum|datname,schemaname,relname,phase': (_, t) => [
    { l: { schemaname: 'public', relname: t[0] ?? 'pg_class', phase: 'scanning heap' }, m: { operations: 1 }, p: 0.04 },
    { l: { schemaname: 'public', relname: t[t.length - 1] ?? 'pg_class', phase: 'vacuuming indexes' }, m: { operations: 1 }, p: 0.02 }],
  'pg_stat_progress_analyze|datname,schemaname,relname,phase': (_, t) => [{ l: { schemaname: 'public', relname: t[1] ?? 'pg_class', phase: 'acquiring sample rows' }, m: { operations: 1 }, p: 0.03 }],
  'pg_stat_progress_create_index|datname,schemaname,relname,command,phase': (_, t) => [{ l: { schemaname: 'public', relname: t[2] ?? 'pg_class', command: 'CREATE INDEX CONCURRENTLY', phase: 'building index: scanning table' }, m: { operations: 1 }, p: 0.005 }],
  'pg_stat_progress_cluster|datname,schemaname,relname,command,phase': (_, t) => [{ l: { schemaname: 'public', relname: t[3] ?? 'pg_class', command: 'VACUUM FULL', phase: 'seq scanning heap' }, m: { operations: 1 }, p: 0.005 }],
  'pg_stat_progress_copy|datname,schemaname,relname,command,type': (_, t) => [{ l: { schemaname: 'public', relname: t[4] ?? 'pg_class', command: 'COPY FROM', type: 'FILE' }, m: { operations: 1 }, p: 0.005 }],
  'node_cpu|mode': (i) => Object.entries(CPU_SHARE).map(([mode, share]) => ({ l: { mode }, m: { seconds: { m: 'counter', lo: i.cpus * share, hi: i.cpus * share, dp: 2 } } })),
  'node_cpu|': (i) => [{ l: {}, m: { count: i.cpus } }],
  'node_memory|': (i) => [{ l: {}, m: { total: i.memBytes, swap_total: 0, swap_free: 0, available: { m: 'walk', lo: i.memBytes * 0.5, hi: i.memBytes * 0.8, q: 4096 } } }],
  'node_disk|device': () => ['nvme0n1', 'nvme1n1'].map((device) => ({ l: { device } })),
  'node_net|device': () => [{ l: { device: 'eth0' } }],
  'node_fs|mountpoint,device,fstype': () => ([['/', '/dev/nvme0n1p1', 'ext4', 50], ['/var/lib/postgresql', '/dev/nvme1n1', 'xfs', 500]] as const)
    .map(([mountpoint, device, fstype, gib]) => ({ l: { mountpoint, device, fstype }, m: { size_bytes: gib * 1024 ** 3, files: gib * 65536 } })),
};

/**
 * The rows a collector returns on this instance for the columns that carry these
 * labels. For a database-scope collector, `datname` is the database it runs in and
 * the rows leave it out: the runner adds it, as the agent does. `sql` is the
 * collector's SQL for the instance's version (pg_settings' rows are the settings it names).
 */
export function tuplesFor(def: CollectorDef, labels: string[], inst: SimInstance, sql: string, datname?: string): Tuple[] {
  if (def.id === 'pg_settings') return settingTuples(labels, settingNames(sql), inst.version_num);
  const own = datname !== undefined ? labels.filter((l) => l !== 'datname') : labels;
  const tables = datname !== undefined ? Array.from({ length: Math.min(inst.tables, 65) }, (_, j) => `t${j}`) : [];
  const build = BUILDERS[`${def.id}|${labels.join(',')}`];
  const rows = build ? build(inst, tables) : generic(own, inst, tables);
  return rows.filter((r) => !r.role || r.role === inst.role);
}

/** Rows for a label set no builder knows: the instance's databases, the database's tables, or two made-up values. */
function generic(labels: string[], inst: SimInstance, tables: string[]): Tuple[] {
  if (labels.length === 0) return [{ l: {} }];
  if (labels.length === 1 && labels[0] === 'datname') return inst.databases.map((d) => ({ l: { datname: d } }));
  if (labels.join(',') === 'schemaname,relname') return tables.map((r) => ({ l: { schemaname: 'public', relname: r } }));
  return [0, 1].map((n) => ({ l: Object.fromEntries(labels.map((l) => [l, `${l}${n}`])) }));
}
