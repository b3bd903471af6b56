// `/instances/:id/objects`: tables and indexes of every database, with what needs a DBA's eye
// (dead rows, tables never vacuumed, bloat, unused and invalid indexes) marked.
import { useState } from 'react';
import { fetchObjects, type IndexObject, type TableObject } from '../api.ts';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { ActionButton } from '../components/ActionButton.tsx';
import { InstanceLayout } from '../components/InstanceLayout.tsx';
import { formatAgo, formatBytes, formatBytesPerDay, formatNumber } from '../format.ts';
import { useNow } from '../live.ts';
import { useFetch } from '../use-fetch.ts';

/** Dead rows past this share of a table are flagged (autovacuum's default scale factor is 0.2). */
const DEAD_WARN = 0.2;

const bytes = (v: number | null): string => (v === null ? '—' : formatBytes(v));
const count = (v: number | null): string => (v === null ? '—' : formatNumber(v));
const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`);

type Target = { id: string; namespace: string; role: string };

function tableColumns(now: number, target: Target): Column<TableObject>[] {
  return [
    { key: 'name', label: 'table', value: (t) => `${t.schemaname}.${t.relname}`, cell: (t) => (
      <>
        <code>{t.schemaname}.{t.relname}</code>
        {t.autovacuum_enabled === false && <span className="tag warn" title="autovacuum_enabled = off on this table">autovacuum off</span>}
      </>
    ) },
    { key: 'datname', label: 'database', value: (t) => t.datname },
    { key: 'total_bytes', label: 'size', num: true, title: 'table, TOAST and indexes', value: (t) => t.total_bytes, cell: (t) => bytes(t.total_bytes) },
    { key: 'growth', label: 'growth', num: true, title: 'size change per day over the last 24 h', value: (t) => t.growth_per_day, cell: (t) => formatBytesPerDay(t.growth_per_day) },
    { key: 'indexes_bytes', label: 'indexes', num: true, value: (t) => t.indexes_bytes, cell: (t) => bytes(t.indexes_bytes) },
    { key: 'n_live_tup', label: 'live rows', num: true, value: (t) => t.n_live_tup, cell: (t) => count(t.n_live_tup) },
    { key: 'dead', label: 'dead rows', num: true, value: (t) => t.dead_ratio, cell: (t) => (
      <span className={t.dead_ratio !== null && t.dead_ratio > DEAD_WARN ? 'warn-text' : undefined}>{count(t.n_dead_tup)} <small className="muted">{pct(t.dead_ratio)}</small></span>
    ) },
    { key: 'last_vacuum', label: 'last vacuum', num: true, value: (t) => t.last_vacuum, cell: (t) => formatAgo(t.last_vacuum, now) },
    { key: 'last_analyze', label: 'last analyze', num: true, value: (t) => t.last_analyze, cell: (t) => formatAgo(t.last_analyze, now) },
    { key: 'seq_scan', label: 'seq scans', num: true, value: (t) => t.seq_scan, cell: (t) => count(t.seq_scan) },
    { key: 'idx_scan', label: 'index scans', num: true, value: (t) => t.idx_scan, cell: (t) => count(t.idx_scan) },
    { key: 'bloat', label: 'bloat (est.)', num: true, title: 'estimated space beyond what live rows need (the most bloated tables of 1 MB or more)', value: (t) => t.bloat_bytes, cell: (t) => (t.bloat_bytes === null ? '—' : `${bytes(t.bloat_bytes)} · ${pct(t.bloat_ratio)}`) },
    { key: 'frozenxid_age', label: 'xid age', num: true, title: 'transactions since relfrozenxid', value: (t) => t.frozenxid_age, cell: (t) => count(t.frozenxid_age) },
    { key: 'actions', label: '', value: () => null, cell: (t) => {
      const tables = [{ schema: t.schemaname, table: t.relname }];
      return (
        <span className="row-actions">
          <ActionButton instance={target} action="vacuum" label="Vacuum" params={{ database: t.datname, tables, analyze: true }} testid="act-vacuum"
            explain="VACUUM ANALYZE takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on; DDL on the table waits." />
          <ActionButton instance={target} action="analyze" label="Analyze" params={{ database: t.datname, tables }} testid="act-analyze" />
        </span>
      );
    } },
  ];
}

function indexColumns(now: number, target: Target): Column<IndexObject>[] {
  return [
    { key: 'name', label: 'index', value: (i) => `${i.schemaname}.${i.indexrelname}`, cell: (i) => (
      <>
        <code>{i.schemaname}.{i.indexrelname}</code>
        {i.idx_scan === 0 && <span className="tag warn" title="never scanned since the statistics were reset (a primary key or unique index may still be needed for its constraint)">no scans</span>}
      </>
    ) },
    { key: 'relname', label: 'table', value: (i) => i.relname },
    { key: 'datname', label: 'database', value: (i) => i.datname },
    { key: 'bytes', label: 'size', num: true, value: (i) => i.bytes, cell: (i) => bytes(i.bytes) },
    { key: 'idx_scan', label: 'scans', num: true, value: (i) => i.idx_scan, cell: (i) => count(i.idx_scan) },
    { key: 'last_idx_scan', label: 'last scan', num: true, title: 'PostgreSQL 16+', value: (i) => i.last_idx_scan, cell: (i) => formatAgo(i.last_idx_scan, now) },
    { key: 'actions', label: '', value: () => null, cell: (i) => (
      <ActionButton instance={target} action="reindex" label="Reindex" params={{ database: i.datname, schema: i.schemaname, index: i.indexrelname }} testid="act-reindex"
        explain="REINDEX CONCURRENTLY builds a new copy beside the old one, then swaps them: writes go on; it needs room for a second copy of the index." />
    ) },
  ];
}

function ObjectsView({ id, refresh, target }: { id: string; refresh: number; target: Target }) {
  const now = useNow(30_000);
  const [filter, setFilter] = useState('');
  // Objects change every few minutes: refetched with the window's live ticks, not per second.
  const o = useFetch((signal) => fetchObjects(id, signal), [id, Math.floor(refresh / 60_000)]);
  const f = filter.trim().toLowerCase();
  const match = (...names: string[]): boolean => f === '' || names.some((n) => n.toLowerCase().includes(f));
  const tables = (o.data?.tables ?? []).filter((t) => match(t.datname, t.schemaname, t.relname));
  const indexes = (o.data?.indexes ?? []).filter((i) => match(i.datname, i.schemaname, i.relname, i.indexrelname));
  const loading = !o.data && !o.error;
  return (
    <>
      {o.error && <ErrorBanner message={o.error} />}
      <div className="toolbar">
        <input className="search" style={{ marginLeft: 0 }} placeholder="filter by database, schema, table or index" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="objects-filter" />
      </div>
      {o.data && o.data.databases.length > 0 && (
        <div className="store-summary" data-testid="objects-databases">
          {o.data.databases.map((d) => (
            <div key={d.datname} data-datname={d.datname}>
              <dt>{d.datname}</dt>
              <dd className="db-figures">
                <span className={d.invalid_count ? 'warn-text' : undefined}>{count(d.invalid_count)} invalid indexes{d.invalid_count ? ` (${bytes(d.invalid_bytes)})` : ''}</span>
                <span className={d.unused_count ? 'warn-text' : undefined}>{count(d.unused_count)} of {count(d.indexes)} indexes unused, constraints aside{d.unused_count ? ` (${bytes(d.unused_bytes)})` : ''}</span>
                <span>{d.total_bloat_bytes === null ? 'bloat not estimated (exhaustive preset)' : `${bytes(d.total_bloat_bytes)} estimated bloat`}</span>
              </dd>
            </div>
          ))}
        </div>
      )}
      <h3 className="section">Tables</h3>
      <DataTable
        testid="tables" rows={tables} columns={tableColumns(now, target)} rowKey={(t) => `${t.datname}.${t.schemaname}.${t.relname}`} initialSort="total_bytes"
        rowClass={(t) => (t.dead_ratio !== null && t.dead_ratio > DEAD_WARN ? 'row-warn' : undefined)}
        empty={loading ? 'loading…' : f ? 'no table matches the filter' : 'No table statistics yet: the agent reads the largest tables of each database every 5 minutes (collector pg_table, standard preset).'}
      />
      <h3 className="section">Indexes</h3>
      <DataTable
        testid="indexes" rows={indexes} columns={indexColumns(now, target)} rowKey={(i) => `${i.datname}.${i.schemaname}.${i.indexrelname}`} initialSort="bytes"
        empty={loading ? 'loading…' : f ? 'no index matches the filter' : 'No index statistics yet: the agent reads the largest indexes of each database every 10 minutes (collector pg_index).'}
      />
      <p className="store-note">The agent sends the 50 largest tables and indexes of each database (and those most in need of vacuum); counts of scans are since the statistics were last reset.</p>
    </>
  );
}

export function ObjectsPage({ id }: { id: string }) {
  return (
    <InstanceLayout id={id} tab="objects" title="objects">
      {({ to, detail }) => <ObjectsView id={id} refresh={to} target={{ id, namespace: detail.instance.namespace, role: detail.instance.role }} />}
    </InstanceLayout>
  );
}
