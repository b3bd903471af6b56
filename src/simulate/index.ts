/**
 * The fleet simulator: envelopes from N fake instances, shaped as the agent shapes
 * them (the catalog's families, statement deltas, activity samples, heartbeats,
 * inventories), for benchmarks and load tests. Pure: `pgfleet simulate` sends them.
 */
export { FleetSimulator, type SimulateOptions, type SimulateStats } from './fleet.ts';
export { estimateRate, type RateEstimate } from './estimate.ts';
export { simulatedColumns } from './collector-run.ts';
export { SIM_AGENT_VERSION } from './agent-health.ts';
export { AGENT_PERIODS_MS } from './jobs.ts';
export type { SimInstance } from './instance.ts';
export { SimulateError } from './errors.ts';
export { mulberry32 } from './prng.ts';
