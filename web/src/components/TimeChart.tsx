// One uPlot chart. Recreated when its series change, otherwise updated in place with setData.
import { useEffect, useLayoutEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { ValueUnit } from '../format.ts';
import { bridgeSingleGaps, stackValues, type ChartData } from '../series-math.ts';
import { buildOptions, CHART_HEIGHT } from './uplot-options.ts';

interface TimeChartProps {
  data: ChartData;
  unit: ValueUnit;
  stacked: boolean;
  yBase: 'zero' | 'auto';
  /** The window in ms; the x axis always spans it. */
  from: number;
  to: number;
  onZoom: (from: number, to: number) => void;
  /** Called after each draw of the canvas. */
  onDraw?: () => void;
}

function toAligned(data: ChartData, stacked: boolean): uPlot.AlignedData {
  const now = data.series.filter((s) => !s.earlier);
  const earlier = data.series.filter((s) => s.earlier);
  const ys = [...(stacked ? stackValues(now) : now.map((s) => s.values)), ...earlier.map((s) => s.values)];
  return [data.x.map((t) => t / 1000), ...ys.map(bridgeSingleGaps)] as uPlot.AlignedData;
}

export function TimeChart({ data, unit, stacked, yBase, from, to, onZoom, onDraw }: TimeChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // uPlot's callbacks read the latest props through these refs.
  const latest = useRef({ data, from, to, onZoom, onDraw });
  latest.current = { data, from, to, onZoom, onDraw };

  const labels = data.series.map((s) => s.label);
  // Axis colours come from the theme: a theme change draws the chart anew.
  const shape = `${unit}|${stacked}|${yBase}|${document.documentElement.dataset.theme ?? ''}|${labels.join('\u0000')}`;

  useLayoutEffect(() => {
    const root = el.current;
    if (!root) return;
    const opts = buildOptions(labels, Math.max(root.clientWidth, 200), {
      unit,
      stacked,
      yBase,
      raw: () => latest.current.data,
      xRange: () => [latest.current.from / 1000, latest.current.to / 1000],
      onZoom: (a, b) => latest.current.onZoom(a, b),
      compareFrom: data.series.findIndex((s) => s.earlier) < 0 ? undefined : data.series.findIndex((s) => s.earlier),
    });
    opts.hooks = { ...opts.hooks, draw: [() => latest.current.onDraw?.()] };
    const u = new uPlot(opts, toAligned(latest.current.data, stacked), root);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const w = root.clientWidth;
      if (w > 0 && w !== u.width) u.setSize({ width: w, height: CHART_HEIGHT });
    });
    resize.observe(root);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // `shape` captures everything the options depend on; data goes through setData below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(toAligned(data, stacked));
  }, [data, stacked, from, to]);

  return <div className="uplot-host" ref={el} />;
}
