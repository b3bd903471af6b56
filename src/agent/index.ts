export { Agent, AGENT_VERSION, type AgentOptions } from './agent.ts';
export { Spool, spoolNonce, type SpoolStats } from './spool.ts';
export { Shipper } from './shipper.ts';
export type { TargetConfig } from './target.ts';
export * from './transport/index.ts';
export * from './errors.ts';
export { openTargetPool, probeTarget, Requirements, runSqlCollector, collectRows, type Probe, type CollectOutcome } from './collect.ts';
export { PgbouncerMonitor, showFamilies, type PgbouncerConfig } from './pgbouncer.ts';
