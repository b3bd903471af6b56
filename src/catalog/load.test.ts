import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogError, collectorsForPreset, loadCatalog, metricDefs, renderMetricTable, type MetricDef } from './index.ts';

/** The metrics the console and the API rely on, by name: kind and labels. */
const CONTRACT: Record<string, [MetricDef['kind'], string[]]> = {
  'pg_up.up': ['gauge', []], 'pg_up.uptime_s': ['gauge', []], 'pg_up.is_replica': ['gauge', []],
  ...Object.fromEntries(['xact_commit', 'xact_rollback', 'blks_read', 'blks_hit', 'tup_returned', 'tup_fetched',
    'tup_inserted', 'tup_updated', 'tup_deleted', 'conflicts', 'temp_files', 'temp_bytes', 'deadlocks',
    'blk_read_time', 'blk_write_time', 'checksum_failures', 'session_time', 'active_time', 'idle_in_transaction_time',
    'sessions', 'sessions_abandoned', 'sessions_fatal', 'sessions_killed'].map((c) => [`pg_stat_database.${c}`, ['counter', ['datname']]])),
  'pg_stat_database.numbackends': ['gauge', ['datname']],
  'pg_activity.count': ['gauge', ['state', 'backend_type', 'wait_event_type']],
  'pg_activity.max_tx_duration_s': ['gauge', []], 'pg_activity.max_connections': ['gauge', []],
  'pg_locks.count': ['gauge', ['mode', 'granted']], 'pg_locks.waiting': ['gauge', []],
  ...Object.fromEntries(['buffers_clean', 'maxwritten_clean', 'buffers_alloc', 'buffers_backend', 'buffers_backend_fsync']
    .map((c) => [`pg_stat_bgwriter.${c}`, ['counter', []]])),
  ...Object.fromEntries(['checkpoints_timed', 'checkpoints_req', 'checkpoint_write_time', 'checkpoint_sync_time', 'buffers_checkpoint']
    .map((c) => [`pg_checkpointer.${c}`, ['counter', []]])),
  'pg_wal.lsn': ['counter', []], 'pg_wal.replay_delay_s': ['gauge', []],
  ...Object.fromEntries(['wal_records', 'wal_fpi', 'wal_bytes', 'wal_buffers_full'].map((c) => [`pg_stat_wal.${c}`, ['counter', []]])),
  ...Object.fromEntries(['write_lag_s', 'flush_lag_s', 'replay_lag_s', 'sent_lag_bytes', 'replay_lag_bytes']
    .map((c) => [`pg_replication.${c}`, ['gauge', ['application_name', 'client_addr', 'state']]])),
  'pg_replication_slots.retained_bytes': ['gauge', ['slot_name', 'slot_type', 'active']],
  'pg_database_size.bytes': ['gauge', ['datname']],
  'pg_xid.datfrozenxid_age': ['gauge', ['datname']], 'pg_xid.datminmxid_age': ['gauge', ['datname']],
  'node_cpu.seconds': ['counter', ['mode']], 'node_cpu.count': ['gauge', []],
  ...Object.fromEntries(['total', 'available', 'free', 'cached', 'buffers', 'swap_total', 'swap_free', 'dirty']
    .map((c) => [`node_memory.${c}`, ['gauge', []]])),
  'node_load.load1': ['gauge', []], 'node_load.load5': ['gauge', []], 'node_load.load15': ['gauge', []],
  ...Object.fromEntries(['reads', 'writes', 'read_bytes', 'write_bytes', 'read_time_s', 'write_time_s', 'io_time_s']
    .map((c) => [`node_disk.${c}`, ['counter', ['device']]])),
  ...Object.fromEntries(['size_bytes', 'avail_bytes', 'used_bytes', 'files', 'files_free']
    .map((c) => [`node_fs.${c}`, ['gauge', ['mountpoint', 'device', 'fstype']]])),
  ...Object.fromEntries(['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped']
    .map((c) => [`node_net.${c}`, ['counter', ['device']]])),
};

test('the built-in catalog loads and has every metric the console and the API rely on', () => {
  const metrics = new Map(metricDefs(loadCatalog()).map((m) => [m.name, m]));
  for (const [name, [kind, labels]] of Object.entries(CONTRACT)) {
    const m = metrics.get(name);
    assert.ok(m, `${name} is missing`);
    assert.equal(m.kind, kind, `${name}: kind`);
    assert.deepEqual(m.labels, labels, `${name}: labels`);
  }
});

test('built-in collectors: intervals, roles and scopes as documented', () => {
  const defs = new Map(loadCatalog().map((d) => [d.id, d]));
  for (const id of ['pg_up', 'pg_stat_database', 'pg_activity', 'pg_locks', 'pg_stat_bgwriter', 'pg_checkpointer', 'pg_wal', 'pg_stat_wal', 'pg_replication', 'pg_replication_slots']) {
    assert.equal(defs.get(id)?.interval_s, 15, `${id}: interval`);
  }
  assert.equal(defs.get('pg_database_size')?.interval_s, 60);
  assert.equal(defs.get('pg_xid')?.interval_s, 60);
  assert.equal(defs.get('pg_replication')?.role, 'primary');
  assert.equal(defs.get('pg_stat_wal')?.variants[0].min_version, 140000);
  for (const d of defs.values()) {
    assert.equal(d.scope === 'node', d.id.startsWith('node_'), `${d.id}: scope`);
    assert.ok(d.timeout_ms <= d.interval_s * 1000, `${d.id}: timeout`);
  }
});

test('presets: minimal is the five essentials; standard and exhaustive hold every contract collector', () => {
  const defs = loadCatalog();
  assert.deepEqual(collectorsForPreset(defs, 'minimal').map((d) => d.id).sort(),
    ['node_cpu', 'node_memory', 'pg_activity', 'pg_stat_database', 'pg_up']);
  const collectorsOf = (p: 'standard' | 'exhaustive') => new Set(collectorsForPreset(defs, p).map((d) => d.prefix));
  for (const name of Object.keys(CONTRACT)) {
    const prefix = name.split('.')[0];
    assert.ok(collectorsOf('standard').has(prefix), `${prefix} in standard`);
    assert.ok(collectorsOf('exhaustive').has(prefix), `${prefix} in exhaustive`);
  }
  for (const d of collectorsForPreset(defs, 'standard')) assert.ok(d.presets.includes('exhaustive'), `${d.id}: standard ⊂ exhaustive`);
});

test('a user folder adds collectors and replaces built-in ones by id', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgfleet-catalog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pg_up.yaml'), `
id: pg_up
description: My own pg_up.
interval: 30s
variants: [{sql: SELECT 1 AS up}]
columns:
  up: {usage: gauge}
`);
  writeFileSync(join(dir, 'my_queue.yml'), `
id: my_queue
description: Jobs waiting in my application's queue.
interval: 1m
variants: [{sql: SELECT count(*) AS waiting FROM app.jobs}]
columns:
  waiting: {usage: gauge}
`);
  writeFileSync(join(dir, 'notes.txt'), 'not a collector');
  const defs = loadCatalog([dir]);
  const up = defs.find((d) => d.id === 'pg_up');
  assert.equal(up?.description, 'My own pg_up.');
  assert.equal(up?.source, join(dir, 'pg_up.yaml'));
  assert.equal(defs.filter((d) => d.id === 'pg_up').length, 1);
  assert.ok(defs.some((d) => d.id === 'my_queue'));
});

test('a missing folder and a bad user file are reported together', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgfleet-catalog-'));
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'id: bad\ndescription: x\ninterval: 15s\ncolumns: {}\n');
    assert.throws(() => loadCatalog([dir, join(dir, 'nope')]), (err: unknown) => {
      assert.ok(err instanceof CatalogError);
      assert.deepEqual(err.problems.map((p) => [p.source, p.field]).sort(), [
        [join(dir, 'bad.yaml'), 'columns'], [join(dir, 'bad.yaml'), 'variants'], [join(dir, 'nope'), ''],
      ]);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/catalog.md holds the current metric table (npx tsx scripts/gen-metric-docs.ts rewrites it)', () => {
  const doc = readFileSync(new URL('../../docs/catalog.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(renderMetricTable(loadCatalog())), 'docs/catalog.md is out of date: run npx tsx scripts/gen-metric-docs.ts');
});
