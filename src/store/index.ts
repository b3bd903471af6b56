import postgres, { type Sql } from 'postgres';
import { migrate } from './migrate.ts';
import { InventoryStore } from './inventory.ts';
import { PgTimeseriesStore } from './pg-timeseries.ts';
import type { TimeseriesStore } from './timeseries.ts';
import { StatementStore } from './statements.ts';
import { Rollups } from './rollups.ts';
import { Compactor } from './compaction.ts';
import { StoreSize } from './store-size.ts';
import { SettingsStore } from './settings.ts';
import { ExplainPlanStore } from './explain-plans.ts';
import { AccessStore } from './access.ts';
import { AuditStore } from './audit.ts';
import { AgentCredentialStore } from './agent-credentials.ts';
import { CommandStore } from './commands.ts';
import { AdvisorStore } from './advisor.ts';
import { AnonJobStore } from './anon-jobs.ts';

export * from './errors.ts';
export * from './timeseries.ts';
export * from './inventory.ts';
export { migrate } from './migrate.ts';
export { PgTimeseriesStore, labelsKey, resolutionForStep } from './pg-timeseries.ts';
export * from './partitions.ts';
export { latestOfMetrics, latestSamples, type LatestSample } from './latest-samples.ts';
export { Compactor, COMPACT_AFTER_MS, type CompactedDay } from './compaction.ts';
export { Rollups, ROLLUP_GRACE_MS, type RollupRun, type RollupResolution } from './rollups.ts';
export * from './statements.ts';
export { numberArray } from './pg-array.ts';
export { SettingsStore, type SettingsMessage } from './settings.ts';
export { ExplainPlanStore, type StoredPlan } from './explain-plans.ts';
export * from './access.ts';
export * from './audit.ts';
export * from './agent-credentials.ts';
export * from './commands.ts';
export * from './advisor.ts';
export * from './anon-jobs.ts';
export * from './settings-state.ts';
export * from './store-size.ts';
export * from './store-size-report.ts';
export { STORE_KINDS, STORE_KIND_TABLES, retentionOfKind, windowOfKind, type StoreKind, type KindSize, type SizeMeasurement } from './store-size-measure.ts';

/** Everything the server keeps, behind one object: inventory, time series, dead letters. */
export interface Store {
  sql: Sql;
  inventory: InventoryStore;
  timeseries: TimeseriesStore;
  statements: StatementStore;
  /** Server settings over time. */
  settings: SettingsStore;
  /** EXPLAIN plans saved for a link. */
  explainPlans: ExplainPlanStore;
  /** Users, grants, sessions, API tokens. */
  access: AccessStore;
  /** The append-only audit log. */
  audit: AuditStore;
  /** Enrollment tokens and agents' own credentials. */
  agentCredentials: AgentCredentialStore;
  /** Commands to agents, scheduled tasks, saved scripts. */
  commands: CommandStore;
  /** Advisor profiles and the worker's advisor runs. */
  advisor: AdvisorStore;
  /** Anonymization jobs started through the API. */
  anonJobs: AnonJobStore;
  rollups: Rollups;
  compactor: Compactor;
  /** The store's own size, its history and forecast. */
  size: StoreSize;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Connection pool size. */
  max?: number;
  /** Apply migrations at open (default true). */
  migrate?: boolean;
}

/** Opens the store at a libpq-style URI (PG* environment variables fill what it leaves out). */
export async function openStore(url: string | undefined, opts: StoreOptions = {}): Promise<Store> {
  const sql = postgres(url ?? '', {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection: { application_name: 'pgfleet-server' },
    // bigint columns (ms timestamps, seq) come back as strings unless told; they fit in a double.
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
  });
  if (opts.migrate !== false) await migrate(sql);
  return {
    sql,
    inventory: new InventoryStore(sql),
    timeseries: new PgTimeseriesStore(sql),
    statements: new StatementStore(sql),
    settings: new SettingsStore(sql),
    explainPlans: new ExplainPlanStore(sql),
    access: new AccessStore(sql),
    audit: new AuditStore(sql),
    agentCredentials: new AgentCredentialStore(sql),
    commands: new CommandStore(sql),
    advisor: new AdvisorStore(sql),
    anonJobs: new AnonJobStore(sql),
    rollups: new Rollups(sql),
    compactor: new Compactor(sql),
    size: new StoreSize(sql),
    close: () => sql.end({ timeout: 5 }),
  };
}
