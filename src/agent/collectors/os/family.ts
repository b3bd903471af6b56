import type { MetricFamily, MetricKind } from '../../../protocol/index.ts';

type Point = MetricFamily['points'][number];

/** Builds metric families in the order their names are first seen. */
export class FamilyBuilder {
  private readonly families = new Map<string, MetricFamily>();

  add(name: string, kind: MetricKind, unit: string | undefined, v: number, l?: Record<string, string>): this {
    if (!Number.isFinite(v)) return this;
    let f = this.families.get(name);
    if (!f) {
      f = unit ? { name, kind, unit, points: [] } : { name, kind, points: [] };
      this.families.set(name, f);
    }
    const p: Point = l ? { l, v } : { v };
    f.points.push(p);
    return this;
  }

  build(): MetricFamily[] {
    return [...this.families.values()];
  }
}
