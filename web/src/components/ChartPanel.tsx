// A chart card: loads its data for the shared range, then draws it, or says why it cannot.
import { useEffect, useRef, useState } from 'react';
import type { Instance } from '../api.ts';
import type { ChartDef } from '../charts.ts';
import { countPoints, type ChartData } from '../series-math.ts';
import { ErrorBanner } from './ErrorBanner.tsx';
import { TimeChart } from './TimeChart.tsx';

interface ChartPanelProps {
  def: ChartDef;
  instance: Instance;
  from: number;
  to: number;
  onZoom: (from: number, to: number) => void;
}

interface LoadState {
  data: ChartData | null;
  error: string | null;
}

/** A chart asks for about one point per 3 pixels; widths are rounded so resizing refetches rarely. */
function pointBudget(width: number): number {
  return Math.min(2000, Math.max(20, Math.round(width / 60) * 20));
}

export function ChartPanel({ def, instance, from, to, onZoom }: ChartPanelProps) {
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
    const ctl = new AbortController();
    def.load({ instance: instanceRef.current, from, to, maxPoints, signal: ctl.signal }).then(
      (data) => setState({ data, error: null }),
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        setState((s) => ({ data: s.data, error: err instanceof Error ? err.message : String(err) }));
      },
    );
    return () => ctl.abort();
  }, [def, instance.id, instance.role, from, to, maxPoints]);

  const points = state.data ? countPoints(state.data) : 0;
  const phase = state.data === null ? (state.error ? 'error' : 'loading') : points === 0 ? 'empty' : 'ready';

  // data-points counts what is on the canvas: set after each draw, and to 0 when nothing is drawn.
  useEffect(() => {
    if (phase !== 'ready' && box.current) box.current.dataset.points = '0';
  }, [phase, state]);
  const onDraw = (): void => {
    if (box.current) box.current.dataset.points = String(points);
  };

  return (
    <section className="chart-card" data-testid={`chart-${def.slug}`} data-state={phase} ref={box}>
      <h3>{def.title}</h3>
      {state.error && <ErrorBanner message={state.error} compact />}
      {phase === 'ready' && state.data && (
        <TimeChart
          data={state.data}
          unit={def.unit}
          stacked={def.stacked ?? false}
          yBase={def.yBase ?? 'zero'}
          from={from}
          to={to}
          onZoom={onZoom}
          onDraw={onDraw}
        />
      )}
      {phase === 'empty' && <div className="chart-empty">{def.emptyText?.(instance) ?? 'no data yet'}</div>}
      {phase === 'loading' && <div className="chart-empty">loading…</div>}
      {phase === 'error' && <div className="chart-empty">no data</div>}
    </section>
  );
}
