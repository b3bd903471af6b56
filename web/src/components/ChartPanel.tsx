// A chart of the dashboard: loads its data for the shared range, then hands it to a ChartCard.
import { useEffect, useRef, useState } from 'react';
import type { Instance } from '../api.ts';
import type { ChartDef } from '../charts.ts';
import { SeriesBatch } from '../chart-query.ts';
import { withEarlier, type ChartData } from '../series-math.ts';
import { ChartCard } from './ChartCard.tsx';

interface ChartPanelProps {
  def: ChartDef;
  instance: Instance;
  from: number;
  to: number;
  onZoom: (from: number, to: number) => void;
  /** Also draw the same window this long before (`1d`, `7d`), dashed. */
  compare?: CompareOffset;
  /** Metrics stored for the instance (its detail): a chart whose `requires` are all missing is not asked for. */
  stored: ReadonlySet<string>;
}

/** The windows a dashboard can be compared with. */
export const COMPARE_OFFSETS = [{ key: '1d', label: 'a day earlier' }, { key: '7d', label: 'a week earlier' }] as const;
export type CompareOffset = (typeof COMPARE_OFFSETS)[number]['key'];

interface LoadState {
  data: ChartData | null;
  error: string | null;
}

/** A chart asks for about one point per 3 pixels; widths are rounded so resizing refetches rarely. */
export function pointBudget(width: number): number {
  return Math.min(2000, Math.max(20, Math.round(width / 60) * 20));
}

export function ChartPanel({ def, instance, from, to, onZoom, compare, stored }: ChartPanelProps) {
  const missing = def.requires !== undefined && !def.requires.some((m) => stored.has(m));
  const box = useRef<HTMLDivElement>(null);
  const [maxPoints, setMaxPoints] = useState(0);
  const [state, setState] = useState<LoadState>({ data: null, error: null });
  const instanceRef = useRef(instance);
  instanceRef.current = instance;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = (): void => setMaxPoints(pointBudget(el.clientWidth));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    if (maxPoints === 0) return;
    if (missing) { setState({ data: { x: [], series: [] }, error: null }); return; }
    const ctl = new AbortController();
    const batch = new SeriesBatch(instanceRef.current.id, { from, to, maxPoints }, ctl.signal);
    const ctx = { instance: instanceRef.current, from, to, maxPoints, signal: ctl.signal, batch };
    // Both windows' loaders queue their queries now; one request carries them all.
    const loads = [def.load(ctx), ...(compare ? [def.load({ ...ctx, offset: compare })] : [])];
    void batch.send();
    Promise.all(loads).then(
      ([now, earlier]) => setState({ data: earlier ? withEarlier(now, earlier, `(${compare} ago)`) : now, error: null }),
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setState((s) => ({ data: s.data, error: err instanceof Error ? err.message : String(err) }));
      },
    );
    return () => ctl.abort();
  }, [def, instance.id, instance.role, from, to, maxPoints, compare, missing]);

  return (
    <div className="chart-slot" ref={box}>
      <ChartCard
        slug={def.slug} title={def.title} unit={def.unit} stacked={def.stacked} yBase={def.yBase}
        data={state.data} error={state.error} emptyText={def.emptyText?.(instance)}
        from={from} to={to} onZoom={onZoom}
      />
    </div>
  );
}
