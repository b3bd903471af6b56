import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';

export interface StoredPlan { id: string; created_at: number; title: string; plan: string; query: string | null }

/** EXPLAIN plans saved for a link: kept until deleted. */
export class ExplainPlanStore {
  constructor(private readonly sql: Sql) {}

  async save(p: { plan: string; title: string; query?: string }): Promise<StoredPlan> {
    // 16 random bytes, URL-safe: a link is not guessable from another.
    const id = randomBytes(16).toString('base64url');
    const [row] = await this.sql<{ created_at: Date }[]>`
      insert into explain_plans (id, title, plan, query) values (${id}, ${p.title}, ${p.plan}, ${p.query ?? null}) returning created_at`;
    return { id, created_at: row.created_at.getTime(), title: p.title, plan: p.plan, query: p.query ?? null };
  }

  async get(id: string): Promise<StoredPlan | undefined> {
    const [row] = await this.sql<{ id: string; created_at: Date; title: string; plan: string; query: string | null }[]>`
      select id, created_at, title, plan, query from explain_plans where id = ${id}`;
    return row ? { ...row, created_at: row.created_at.getTime() } : undefined;
  }
}
