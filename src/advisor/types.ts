// The advisor's inputs and outputs. Pure data: no I/O anywhere in src/advisor.
import type { RoleRecommendation, TableRecommendation } from './workload.ts';

export const DISK_KINDS = ['hdd', 'ssd', 'nvme', 'san'] as const;
export type DiskKind = (typeof DISK_KINDS)[number];

export const WORKLOADS = ['web', 'oltp', 'dw', 'mixed', 'desktop'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const ADVISOR_MAJORS = [13, 14, 15, 16, 17, 18] as const;
export type AdvisorMajor = (typeof ADVISOR_MAJORS)[number];

/** What the recommendations are made for: the machine, what runs on it, and the intent. */
export interface Profile {
  cpus: number;
  /** RAM of the machine, bytes. */
  ramBytes: number;
  disk: DiskKind;
  workload: Workload;
  major: AdvisorMajor;
  /** Expected client connections; the workload's usual number when absent. */
  connections?: number;
  /** Size of the databases, bytes, when known: shared_buffers larger than the data is wasted. */
  dataBytes?: number;
  /** Streaming replicas or WAL archiving are used (default true: a server without backups is not a plan). */
  replication?: boolean;
  /** The user accepts losing the last commits on a crash for speed; only then synchronous_commit may be off. */
  allowDurabilityRisk?: boolean;
}

export const CONFIDENCES = ['high', 'medium', 'low'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

/** One setting the advisor recommends, with why, how sure it is, and how to apply and undo it. */
export interface Recommendation {
  name: string;
  /** As the server shows it (SHOW), when connected; null otherwise. */
  current: string | null;
  /** The value to set, as PostgreSQL writes it ('4GB', '15min', '0.9', 'on'). */
  recommended: string;
  /** The value as pg_settings' `setting` column shows it once applied: in the setting's unit (8kB blocks, kB, ms…). */
  setting: string;
  /** The setting's unit in pg_settings (8kB, kB, MB, ms, s) or null. */
  unit: string | null;
  /** When a change takes effect: postmaster means a restart, sighup a reload. */
  context: string;
  /** The rule or the evidence behind the value, with its numbers. */
  reason: string;
  confidence: Confidence;
  /** ALTER SYSTEM SET … and ALTER SYSTEM RESET … (or SET to the current value when it is not the default). */
  sql: string;
  rollbackSql: string;
  /** The value is the server's default: nothing to change unless the current value differs. */
  isDefault: boolean;
  /**
   * The library (in shared_preload_libraries) that defines this setting, when the server has not
   * loaded it yet: ALTER SYSTEM refuses the setting until a restart has loaded the library.
   */
  afterLoading: string | null;
}

/** A recommendation before the guards and the target major's metadata have checked and rendered it. */
export interface Draft {
  name: string;
  /** Bytes for memory settings, ms for times, or the value itself. */
  value: number | string;
  kind: 'bytes' | 'ms' | 'number' | 'text';
  reason: string;
  confidence: Confidence;
}

/** What the advisor gives back: the recommendations and what it had to say about the whole. */
export interface Advice {
  profile: Required<Omit<Profile, 'dataBytes'>> & { dataBytes: number | null };
  recommendations: Recommendation[];
  /** From the measured workload: settings for single tables (autovacuum) and single roles (work_mem). */
  tables: TableRecommendation[];
  roles: RoleRecommendation[];
  /** Worst-case memory of the recommended settings, and the guard it was kept under. */
  memory: { worstCaseBytes: number; limitBytes: number; formula: string };
  notes: string[];
}
