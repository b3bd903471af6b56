// `/store`: the store's size by kind of data, its growth, forecast and history.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { fetchStoreSize, type StoreSize } from '../api.ts';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { StoreTable } from '../components/StoreTable.tsx';
import { TimeChart } from '../components/TimeChart.tsx';
import { formatBytes, formatBytesPerDay } from '../format.ts';
import { countPoints } from '../series-math.ts';
import { storeChartData } from '../store-size.ts';

const HISTORY = [
  { days: 7, label: '7 d' },
  { days: 30, label: '30 d' },
  { days: 400, label: '400 d' },
] as const;
/** Sizes come from the catalog and snapshots are hourly: a minute is fresh enough. */
const REFRESH_MS = 60_000;
const DAY_MS = 86_400_000;

export function StorePage() {
  const [days, setDays] = useState<number>(30);
  const [size, setSize] = useState<StoreSize | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [zoom, setZoom] = useState<{ from: number; to: number } | null>(null);
  const chartBox = useRef<HTMLElement>(null);

  const load = useCallback((signal: AbortSignal) => {
    fetchStoreSize(days, signal).then(
      (s) => {
        setSize(s);
        setError(null);
      },
      (err: unknown) => {
        if (!signal.aborted) setError(err instanceof Error ? err.message : String(err));
      },
    );
  }, [days]);

  useEffect(() => {
    document.title = 'Store · pgfleet';
    const ctl = new AbortController();
    load(ctl.signal);
    const timer = setInterval(() => load(ctl.signal), REFRESH_MS);
    return () => {
      clearInterval(timer);
      ctl.abort();
    };
  }, [load]);

  const data = useMemo(() => (size ? storeChartData(size) : null), [size]);
  const points = data ? countPoints(data) : 0;
  const to = zoom?.to ?? size?.measured_at ?? Date.now();
  // A young store: from its first snapshot (at least an hour back), not from an empty month.
  const first = data?.x[0] ?? to;
  const from = zoom?.from ?? Math.max(to - days * DAY_MS, Math.min(first, to - 3_600_000));
  const onDraw = (): void => {
    if (chartBox.current) chartBox.current.dataset.points = String(points);
  };

  return (
    <main className="page" data-testid="store-page">
      <div className="page-head">
        <h1>Store</h1>
        <span className="muted">
          {size ? `the PostgreSQL database pgfleet keeps its data in, measured ${new Date(size.measured_at).toLocaleTimeString()}` : 'loading…'}
        </span>
      </div>
      {error && <ErrorBanner message={error} />}
      {size && (
        <>
          <dl className="store-summary" data-testid="store-summary">
            <div><dt>size now</dt><dd>{formatBytes(size.total.bytes)}</dd></div>
            <div><dt>growth / day</dt><dd>{formatBytesPerDay(size.total.growth_per_day)}</dd></div>
            <div><dt>in 30 days</dt><dd>{size.total.forecast_30d === null ? '—' : formatBytes(size.total.forecast_30d)}</dd></div>
            <div><dt>steady state</dt><dd>{size.total.steady_state === null ? '—' : formatBytes(size.total.steady_state)}</dd></div>
            <div><dt>snapshots, last {size.growth.window_days} d</dt><dd>{size.growth.snapshots}</dd></div>
          </dl>
          {size.growth.reason && (
            <p className="store-note" data-testid="growth-reason">
              No growth or forecast yet: {size.growth.reason}. The worker records a snapshot every hour.
            </p>
          )}
          <section className="chart-card" data-testid="store-chart" ref={chartBox}>
            <div className="card-head">
              <h3>Size over time, by kind (stacked)</h3>
              <div className="segmented" role="group" aria-label="history">
                {HISTORY.map((h) => (
                  <button key={h.days} type="button" className={!zoom && days === h.days ? 'active' : ''} onClick={() => { setZoom(null); setDays(h.days); }}>
                    {h.label}
                  </button>
                ))}
              </div>
              {zoom && <button type="button" className="reset" onClick={() => setZoom(null)}>reset zoom</button>}
            </div>
            {data && points > 0 ? (
              <TimeChart data={data} unit="bytes" stacked yBase="zero" from={from} to={to} onZoom={(a, b) => setZoom({ from: a, to: b })} onDraw={onDraw} />
            ) : (
              <div className="chart-empty">no snapshot yet</div>
            )}
          </section>
          <StoreTable size={size} />
          <p className="store-note">
            Sizes are pg_total_relation_size (table, indexes, TOAST) summed over each kind&apos;s tables and partitions.
            Growth is the trend of the last {size.growth.window_days} days of hourly snapshots. A kind still filling its retention
            grows by that much a day until full; its steady state is the size once it holds the whole retention.
          </p>
        </>
      )}
    </main>
  );
}
