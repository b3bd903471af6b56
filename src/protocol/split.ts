import type { DataOf } from './messages.ts';

/** Two halves of a statements payload (texts go with their entries); undefined when it cannot be split. */
export function splitStatements(data: DataOf['statements']): DataOf['statements'][] | undefined {
  if (data.entries.length < 2 && (data.texts?.length ?? 0) < 2) return undefined;
  const mid = Math.ceil(data.entries.length / 2);
  const first = data.entries.slice(0, mid);
  const ids = new Set(first.map((e) => e.queryid));
  const texts = data.texts ?? [];
  // With one entry (or none) and several texts, the texts are what is large: halve them.
  const firstTexts = data.entries.length < 2 ? texts.slice(0, Math.ceil(texts.length / 2)) : texts.filter((t) => ids.has(t.queryid));
  const rest = new Set(firstTexts);
  const a: DataOf['statements'] = { ...data, entries: first, texts: firstTexts };
  const b: DataOf['statements'] = { interval_ms: data.interval_ms, entries: data.entries.slice(mid), texts: texts.filter((t) => !rest.has(t)) };
  return [a, b];
}

/** Two halves of a metrics payload (by family, or by point of a single family); undefined when it cannot be split. */
export function splitMetrics(data: DataOf['metrics']): DataOf['metrics'][] | undefined {
  const fams = data.metrics;
  if (fams.length > 1) {
    const mid = Math.ceil(fams.length / 2);
    return [{ ...data, metrics: fams.slice(0, mid) }, { ...data, metrics: fams.slice(mid) }];
  }
  const [f] = fams;
  if (!f || f.points.length < 2) return undefined;
  const mid = Math.ceil(f.points.length / 2);
  return [{ ...data, metrics: [{ ...f, points: f.points.slice(0, mid) }] }, { ...data, metrics: [{ ...f, points: f.points.slice(mid) }] }];
}
