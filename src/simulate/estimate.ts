import { encodeEnvelope } from '../protocol/index.ts';
import type { CollectorDef } from '../catalog/index.ts';
import { FleetSimulator, type SimulateOptions } from './fleet.ts';

export interface RateEstimate {
  agents: number;
  messagesPerS: number;
  samplesPerS: number;
  /** Encoded (MessagePack) bytes per second. */
  bytesPerS: number;
  byTypePerS: Record<string, number>;
  /** Average points of a metrics message. */
  pointsPerMetricsMessage: number;
}

/** A fixed day, so an estimate does not depend on when it is made. */
const ANCHOR_MS = Date.UTC(2026, 0, 1);

/**
 * What N agents send per second in steady state, by simulating one primary and one
 * replica for `windowS` (after their start) and scaling: ⌈N/2⌉ primaries, ⌊N/2⌋
 * replicas. The default hour covers every interval of the standard preset.
 */
export function estimateRate(catalog: CollectorDef[], opts: SimulateOptions, windowS = 3600): RateEstimate {
  const pair = new FleetSimulator(catalog, { ...opts, agents: Math.min(opts.agents, 2), firstAgent: 0 });
  pair.tick(ANCHOR_MS - 1, ANCHOR_MS);
  const per = [0, 1].map(() => ({ messages: 0, samples: 0, bytes: 0, metrics: 0, byType: {} as Record<string, number> }));
  for (let t = ANCHOR_MS; t < ANCHOR_MS + windowS * 1000; t += 60_000) {
    for (const env of pair.tick(t, Math.min(t + 60_000, ANCHOR_MS + windowS * 1000))) {
      const p = per[env.agent.endsWith('-0') ? 0 : 1];
      p.messages++;
      p.bytes += encodeEnvelope(env).byteLength;
      p.byType[env.type] = (p.byType[env.type] ?? 0) + 1;
      if (env.type === 'metrics') { p.metrics++; for (const f of env.data.metrics) p.samples += f.points.length; }
    }
  }
  const weights = [Math.ceil(opts.agents / 2), Math.floor(opts.agents / 2)];
  const sum = (f: (p: (typeof per)[number]) => number) => (weights[0] * f(per[0]) + weights[1] * f(per[1])) / windowS;
  const byTypePerS: Record<string, number> = {};
  for (const type of new Set([...Object.keys(per[0].byType), ...Object.keys(per[1].byType)])) byTypePerS[type] = sum((p) => p.byType[type] ?? 0);
  const metrics = sum((p) => p.metrics);
  return {
    agents: opts.agents, messagesPerS: sum((p) => p.messages), samplesPerS: sum((p) => p.samples), bytesPerS: sum((p) => p.bytes),
    byTypePerS, pointsPerMetricsMessage: metrics ? sum((p) => p.samples) / metrics : 0,
  };
}
