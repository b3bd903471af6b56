import type { PgMajor } from '../pg-embedded/index.ts';
import type { CollectorResult } from './catalog-check.ts';

/** What one server (a major in one role) gave; `error` when it could not be checked at all. */
export interface ServerReport {
  major: PgMajor;
  role: 'primary' | 'replica';
  version?: string;
  version_num?: number;
  run: number;
  skipped: number;
  failed: number;
  error?: string;
  collectors: CollectorResult[];
}

export function reportOf(major: PgMajor, role: ServerReport['role'], collectors: CollectorResult[], extra: Partial<ServerReport> = {}): ServerReport {
  const count = (s: CollectorResult['status']) => collectors.filter((c) => c.status === s).length;
  return { major, role, ...extra, run: count('ok'), skipped: count('skipped'), failed: count('failed') + (extra.error ? 1 : 0), collectors };
}

/** `PostgreSQL 16.4 primary: 38 run, 2 skipped (…), 0 failed`, then one line per failure. */
export function formatReport(r: ServerReport): string {
  const name = `PostgreSQL ${r.version ?? r.major} ${r.role}`;
  if (r.error) return `${name}: not checked: ${r.error}`;
  const skips = r.collectors.filter((c) => c.status === 'skipped').map((c) => `${c.id}: ${c.reason}`);
  const lines = [`${name}: ${r.run} run, ${r.skipped} skipped${skips.length ? ` (${skips.join('; ')})` : ''}, ${r.failed} failed`];
  for (const c of r.collectors) if (c.status === 'failed') lines.push(`  failed ${c.id}: ${c.error}`);
  return lines.join('\n');
}
