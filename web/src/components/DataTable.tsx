// A table whose columns sort on click (numbers descending first, text ascending), nulls last.
import { useState, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  /** Right-aligned, and sorted descending on the first click. */
  num?: boolean;
  title?: string;
  value: (row: T) => number | string | null;
  cell?: (row: T) => ReactNode;
}

interface DataTableProps<T> {
  testid: string;
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  initialSort: string;
  empty: ReactNode;
  rowClass?: (row: T) => string | undefined;
}

export function DataTable<T>({ testid, rows, columns, rowKey, initialSort, empty, rowClass }: DataTableProps<T>) {
  const [sort, setSort] = useState<{ key: string; desc: boolean }>(() => ({ key: initialSort, desc: columns.find((c) => c.key === initialSort)?.num ?? false }));
  const col = columns.find((c) => c.key === sort.key) ?? columns[0];
  const sorted = [...rows].sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return sort.desc ? -c : c;
  });
  const click = (c: Column<T>): void =>
    setSort((s) => (s.key === c.key ? { key: c.key, desc: !s.desc } : { key: c.key, desc: c.num ?? false }));
  return (
    <div className="table-wrap">
      <table className="fleet statements" data-testid={testid} data-sort={sort.key}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} className={c.num ? 'num' : undefined} title={c.title}>
                <button type="button" className={c.key === sort.key ? 'sort active' : 'sort'} data-sort={c.key} onClick={() => click(c)}>
                  {c.label}{c.key === sort.key ? (sort.desc ? ' ▾' : ' ▴') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={rowKey(r)} className={rowClass?.(r)} data-testid={`${testid}-row`} data-key={rowKey(r)}>
              {columns.map((c) => <td key={c.key} className={c.num ? 'num' : undefined} data-col={c.key}>{c.cell ? c.cell(r) : String(c.value(r) ?? '—')}</td>)}
            </tr>
          ))}
          {rows.length === 0 && <tr><td colSpan={columns.length} className="empty-row">{empty}</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
