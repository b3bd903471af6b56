import { readdirSync, readFileSync } from 'node:fs';
import type { Sql } from 'postgres';
import { sourceUrl } from '../source-url.ts';
import { StoreError } from './errors.ts';

const MIGRATIONS_DIR = sourceUrl('store/migrations/', import.meta.url, '../');
/** Advisory lock key that serialises migrations between processes starting together. */
const MIGRATION_LOCK = 0x7067666c; // 'pgfl'

/** Applies the forward-only SQL migrations not applied yet, each in its own transaction, under an advisory lock. */
export async function migrate(sql: Sql): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())`;
    const done = new Set((await tx`select version from schema_migrations`).map((r) => r.version as string));
    for (const file of files) {
      if (done.has(file)) continue;
      try {
        await tx.unsafe(readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'));
      } catch (err) {
        throw new StoreError('PGFLEET_STORE_MIGRATION', `migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      await tx`insert into schema_migrations (version) values (${file})`;
      applied.push(file);
    }
  });
  return applied;
}
