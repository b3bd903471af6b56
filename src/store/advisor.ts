import type { Sql } from 'postgres';

/** One run of the advisor for an instance (domain type; `advice` is the advisor's Advice). */
export interface AdvisorRun<P = Record<string, unknown>, A = unknown> {
  instance: string;
  ts: number;
  profile: P;
  advice: A | null;
  /** Recommendations whose value differs from the instance's, and of those, how many need a restart. */
  changes: number;
  restart: number;
  /** Why there is no advice (no settings yet, no hardware figures). */
  error: string | null;
}

/** Runs kept per instance. */
export const ADVISOR_RUNS_KEPT = 10;

/** Advisor profiles per instance and the worker's runs. */
export class AdvisorStore {
  constructor(private readonly sql: Sql) {}

  async profiles<P>(): Promise<Map<string, P>> {
    return new Map((await this.sql`select instance, profile from advisor_profiles`).map((r) => [r.instance as string, r.profile as P]));
  }

  async profile<P>(instance: string): Promise<{ profile: P; updatedBy: string; updatedAt: number } | undefined> {
    const [r] = await this.sql`select profile, updated_by, updated_at from advisor_profiles where instance = ${instance}`;
    return r ? { profile: r.profile as P, updatedBy: r.updated_by as string, updatedAt: (r.updated_at as Date).getTime() } : undefined;
  }

  async setProfile(instance: string, profile: unknown, by: string): Promise<void> {
    await this.sql`insert into advisor_profiles (instance, profile, updated_by) values (${instance}, ${JSON.stringify(profile)}::text::jsonb, ${by})
      on conflict (instance) do update set profile = excluded.profile, updated_by = excluded.updated_by, updated_at = now()`;
  }

  /** Records a run and forgets the instance's runs beyond the last ADVISOR_RUNS_KEPT. */
  async addRun(r: AdvisorRun<unknown, unknown>): Promise<void> {
    await this.sql`insert into advisor_runs (instance, ts, profile, advice, changes, restart, error)
      values (${r.instance}, to_timestamp(${r.ts}::float8 / 1000), ${JSON.stringify(r.profile)}::text::jsonb, ${r.advice === null ? null : JSON.stringify(r.advice)}::text::jsonb,
        ${r.changes}, ${r.restart}, ${r.error})`;
    await this.sql`delete from advisor_runs where instance = ${r.instance} and id not in
      (select id from advisor_runs where instance = ${r.instance} order by ts desc, id desc limit ${ADVISOR_RUNS_KEPT})`;
  }

  /** When each instance was last advised. */
  async lastRuns(): Promise<Map<string, number>> {
    return new Map((await this.sql`select instance, (extract(epoch from max(ts)) * 1000)::float8 as ts from advisor_runs group by instance`).map((r) => [r.instance as string, r.ts as number]));
  }

  /** The newest runs of an instance, newest first. */
  async runs<P, A>(instance: string, limit = 1): Promise<AdvisorRun<P, A>[]> {
    return (await this.sql`select instance, ts, profile, advice, changes, restart, error from advisor_runs where instance = ${instance} order by ts desc, id desc limit ${limit}`)
      .map((r) => ({ instance: r.instance as string, ts: (r.ts as Date).getTime(), profile: r.profile as P, advice: r.advice as A | null, changes: r.changes as number, restart: r.restart as number, error: r.error as string | null }));
  }
}
