// Anonymization jobs (docs/anon.md): API helpers and the pure pieces the console shows.
import type { AnonJobRow } from '../../src/store/index.ts';
import type { Finding } from '../../src/anon/index.ts';
import type { CopyReport } from '../../src/anon-db/index.ts';
import { getJson } from './api.ts';

export type AnonJob = AnonJobRow;
export type ScanResult = { findings: (Finding & { from?: string })[]; columns: number; tables: number; dictionary: string };
export type CopyProgressView = { phase: string; rows: number; bytes: number; totalBytes: number; tablesDone: number; tables: number; resumed: boolean; copying: { name: string; rows: number; bytes: number; totalBytes: number }[] };
export type { CopyReport };

export const fetchAnonJobs = (signal?: AbortSignal): Promise<AnonJob[]> => getJson('/api/v1/anon/jobs?limit=50', signal);
export const fetchAnonJob = (id: number, signal?: AbortSignal): Promise<AnonJob> => getJson(`/api/v1/anon/jobs/${id}`, signal);

export interface AnonJobStart {
  kind: 'scan' | 'sync';
  source: string;
  target?: string;
  dictionary?: string;
  key?: string;
  jobs?: number;
}

export const startAnonJob = (instance: string, body: AnonJobStart): Promise<AnonJob> =>
  getJson(`/api/v1/instances/${encodeURIComponent(instance)}/anon/jobs`, undefined, { method: 'POST', body: JSON.stringify(body) });

/** How far a job is, 0–1, from its progress (a scan counts tables, a copy bytes of the estimate); undefined when unknown. */
export function jobFraction(j: Pick<AnonJob, 'kind' | 'status' | 'progress'>): number | undefined {
  if (j.status === 'done') return 1;
  const p = j.progress as Partial<CopyProgressView> & { tablesDone?: number; tables?: number } | null;
  if (!p) return undefined;
  if (j.kind === 'sync' && p.totalBytes) return Math.min(1, (p.bytes ?? 0) / p.totalBytes);
  if (p.tables) return Math.min(1, (p.tablesDone ?? 0) / p.tables);
  return undefined;
}

/** One line of what a job is doing or how it ended. */
export function jobSummary(j: AnonJob): string {
  const p = j.progress as (Partial<CopyProgressView> & { tablesDone?: number; tables?: number; table?: string }) | null;
  if (j.status === 'failed') return j.error ?? 'failed';
  if (j.status === 'interrupted') return 'stopped with its server process; a copy\'s target is marked incomplete, and the same copy finishes it';
  if (j.kind === 'scan') return j.status === 'done' ? `${p?.tables ?? '?'} tables scanned` : `table ${(p?.tablesDone ?? 0) + 1} of ${p?.tables ?? '?'}${p?.table ? `: ${p.table}` : ''}`;
  if (!p) return 'starting';
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  // The total is an estimate from the source's table sizes: shown while copying, not once done.
  const of = j.status === 'running' && p.totalBytes ? ` of ~${mb(p.totalBytes)}` : '';
  return `${j.status === 'done' ? 'copied' : p.phase ?? ''}: ${p.rows ?? 0} rows, ${mb(p.bytes ?? 0)}${of}, tables ${p.tablesDone ?? 0}/${p.tables ?? '?'}${p.resumed ? ' (finishing an earlier copy)' : ''}`;
}
