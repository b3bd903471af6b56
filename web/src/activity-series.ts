// The wait-event timeline (GET …/activity) as the stacked lines of one chart.
import type { ActivityTimeline } from './api.ts';
import type { ChartData } from './series-math.ts';

/** More groups than this and the smallest are summed into "other", so the stack stays readable. */
export const MAX_ACTIVITY_GROUPS = 10;

/**
 * One line per group on the union of the buckets; a bucket where a group had no session is 0
 * (the timeline returns only buckets with data). Largest groups first; an empty key is "(none)".
 */
export function activitySeries(a: ActivityTimeline): ChartData {
  const x = [...new Set(a.groups.flatMap((g) => g.points.map((p) => p.t)))].sort((p, q) => p - q);
  const index = new Map(x.map((t, i) => [t, i]));
  const lines = a.groups.map((g) => {
    const values = new Array<number>(x.length).fill(0);
    for (const p of g.points) values[index.get(p.t)!] += p.sessions;
    return { label: g.key === '' ? '(none)' : g.key, values, total: values.reduce((s, v) => s + v, 0) };
  }).sort((p, q) => q.total - p.total || p.label.localeCompare(q.label));
  if (lines.length > MAX_ACTIVITY_GROUPS) {
    const rest = lines.splice(MAX_ACTIVITY_GROUPS - 1);
    const values = x.map((_, i) => rest.reduce((s, l) => s + l.values[i], 0));
    lines.push({ label: `other (${rest.length})`, values, total: 0 });
  }
  return { x, series: lines.map(({ label, values }) => ({ label, values })) };
}
