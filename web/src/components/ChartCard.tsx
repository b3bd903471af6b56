// A chart card: draws data it is given, or says why there is none (loading, empty, error).
import { useEffect, useRef } from 'react';
import type { ValueUnit } from '../format.ts';
import { countPoints, type ChartData } from '../series-math.ts';
import { ErrorBanner } from './ErrorBanner.tsx';
import { TimeChart } from './TimeChart.tsx';

export interface ChartCardProps {
  /** data-testid is `chart-<slug>`. */
  slug: string;
  title: string;
  unit: ValueUnit;
  stacked?: boolean;
  yBase?: 'zero' | 'auto';
  /** null while loading. */
  data: ChartData | null;
  error: string | null;
  /** Shown instead of the chart when nothing has a value. */
  emptyText?: string;
  from: number;
  to: number;
  onZoom: (from: number, to: number) => void;
}

export function ChartCard({ slug, title, unit, stacked = false, yBase = 'zero', data, error, emptyText, from, to, onZoom }: ChartCardProps) {
  const box = useRef<HTMLElement>(null);
  const points = data ? countPoints(data) : 0;
  const phase = data === null ? (error ? 'error' : 'loading') : points === 0 ? 'empty' : 'ready';

  // data-points counts what is on the canvas: set after each draw, and to 0 when nothing is drawn.
  useEffect(() => {
    if (phase !== 'ready' && box.current) box.current.dataset.points = '0';
  }, [phase, data]);
  const onDraw = (): void => {
    if (box.current) box.current.dataset.points = String(points);
  };

  return (
    // data-from/data-to: the window the chart was asked for, so a test can see it follow the range.
    <section className="chart-card" data-testid={`chart-${slug}`} data-state={phase} data-from={Math.round(from)} data-to={Math.round(to)} ref={box}>
      <h3>{title}</h3>
      {error && <ErrorBanner message={error} compact />}
      {phase === 'ready' && data && (
        <TimeChart data={data} unit={unit} stacked={stacked} yBase={yBase} from={from} to={to} onZoom={onZoom} onDraw={onDraw} />
      )}
      {phase === 'empty' && <div className="chart-empty">{emptyText ?? 'no data yet'}</div>}
      {phase === 'loading' && <div className="chart-empty">loading…</div>}
      {phase === 'error' && <div className="chart-empty">no data</div>}
    </section>
  );
}
