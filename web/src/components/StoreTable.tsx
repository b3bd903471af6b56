import type { StoreKindSize, StoreSize } from '../api.ts';
import { formatBytes, formatBytesPerDay, formatDays } from '../format.ts';
import { KIND_LABELS, sharePercent } from '../store-size.ts';

const bytes = (v: number | null): string => (v === null ? '—' : formatBytes(v));

/** Retention as set, and how long the kind actually holds data when that differs (raw rows are compacted after a day). */
function Retention({ k, known }: { k: StoreKindSize; known: boolean }) {
  if (k.retention_days === null) return <span className="muted" title={known ? 'kept until deleted' : 'known after the worker’s first snapshot'}>{known ? 'none' : '—'}</span>;
  return (
    <>
      {formatDays(k.retention_days)}
      {k.window_days !== null && k.window_days !== k.retention_days && <small>holds {formatDays(k.window_days)}</small>}
    </>
  );
}

/** One row per kind of data, and the database's total. */
export function StoreTable({ size }: { size: StoreSize }) {
  const total = size.total.bytes;
  const known = size.retention_from !== null;
  return (
    <div className="table-wrap">
      <table className="fleet store-table" data-testid="store-table">
        <thead>
          <tr>
            <th>Kind of data</th>
            <th className="num">Size</th>
            <th className="num">Share</th>
            <th className="num">Partitions</th>
            <th className="num">Days held</th>
            <th className="num">Retention</th>
            <th className="num">Growth / day</th>
            <th className="num">In 30 days</th>
            <th className="num">Steady state</th>
          </tr>
        </thead>
        <tbody>
          {size.kinds.map((k) => (
            <tr key={k.kind} data-testid="store-row" data-kind={k.kind}>
              <td className="kind">
                {KIND_LABELS[k.kind]}
                <small>{k.tables.length ? k.tables.join(', ') : 'inventory, worker state, catalogs'}</small>
              </td>
              <td className="num">{formatBytes(k.bytes)}</td>
              <td className="num muted">{formatShare(sharePercent(k.bytes, total))}</td>
              <td className="num">{k.partitions ?? <span className="muted">—</span>}</td>
              <td className="num" title={k.oldest ? `since ${new Date(k.oldest).toLocaleString()}` : undefined}>{formatDays(k.days_held)}</td>
              <td className="num"><Retention k={k} known={known} /></td>
              <td className="num">{formatBytesPerDay(k.growth_per_day)}</td>
              <td className="num">{bytes(k.forecast_30d)}</td>
              <td className="num">{bytes(k.steady_state)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="store-total">
            <td className="kind">Database<small>pg_database_size</small></td>
            <td className="num">{formatBytes(total)}</td>
            <td className="num muted">100 %</td>
            <td colSpan={3} />
            <td className="num">{formatBytesPerDay(size.total.growth_per_day)}</td>
            <td className="num">{bytes(size.total.forecast_30d)}</td>
            <td className="num">{bytes(size.total.steady_state)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function formatShare(p: number | null): string {
  if (p === null) return '—';
  if (p === 0) return '0 %';
  return p > 0 && p < 0.1 ? '<0.1 %' : `${p.toFixed(1)} %`;
}
