import type { Point } from '../api.ts';

const WIDTH = 80;
const HEIGHT = 20;

/** A tiny inline-SVG trend line of the last points; gaps stay gaps. */
export function Sparkline({ points }: { points: Point[] | undefined }) {
  const pts = points ?? [];
  const values = pts.map(([, v]) => v).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return <svg className="spark" width={WIDTH} height={HEIGHT} aria-hidden="true" />;
  const t0 = pts[0][0];
  const t1 = pts[pts.length - 1][0];
  // Scaled to its own min..max: a sparkline shows the trend; the number beside it gives the level.
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (t: number): number => (t1 > t0 ? ((t - t0) / (t1 - t0)) * (WIDTH - 2) + 1 : 1);
  const y = (v: number): number => (hi > lo ? HEIGHT - 2 - ((v - lo) / (hi - lo)) * (HEIGHT - 4) : HEIGHT / 2);
  // A point between two gaps becomes a short dash, so a lone value is still visible.
  let d = '';
  let run = 0;
  for (const [t, v] of pts) {
    if (v === null || !Number.isFinite(v)) {
      if (run === 1) d += 'h2';
      run = 0;
      continue;
    }
    d += `${run > 0 ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    run++;
  }
  if (run === 1) d += 'h-2';
  return (
    <svg className="spark" width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} aria-hidden="true">
      <path d={d} fill="none" stroke="#2563eb" strokeWidth="1.2" strokeLinejoin="round" />
    </svg>
  );
}
