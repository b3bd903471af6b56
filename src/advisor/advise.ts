// The advisor: hardware and intent in, checked recommendations out.
import { baseline, DEFAULT_CONNECTIONS, GB, KB, MB, sharedBuffers } from './baseline.ts';
import { AdvisorError } from './errors.ts';
import { PG_SETTINGS } from './pg-settings.ts';
import { formatBytes, formatValue, inSettingUnit, rejectReason } from './render.ts';
import { ADVISOR_SETTINGS } from './settings-list.ts';
import { refineFromWorkload, type WorkloadStats } from './workload.ts';
import { ADVISOR_MAJORS, DISK_KINDS, WORKLOADS, type Advice, type Draft, type Profile, type Recommendation } from './types.ts';

/** Worst-case memory is kept under this share of RAM. */
export const MEMORY_LIMIT_SHARE = 0.9;

/** Settings that trade durability away, and what each loses. Never recommended without opt-in. */
export const DURABILITY_RISKS: Record<string, { unsafe: string[]; loses: string }> = {
  fsync: { unsafe: ['off', 'false'], loses: 'a power loss or OS crash can corrupt the whole cluster' },
  full_page_writes: { unsafe: ['off', 'false'], loses: 'a crash during a page write can leave torn pages that recovery cannot repair' },
  synchronous_commit: { unsafe: ['off', 'false'], loses: 'an OS crash or power loss loses the last commits (up to 3 × wal_writer_delay, 600 ms by default); the data stays consistent' },
  wal_level: { unsafe: ['minimal'], loses: 'no replicas, no WAL archiving, no point-in-time recovery' },
};

/** Every problem of a profile (empty when it can be advised). */
export function checkProfile(p: Profile): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(p.cpus) || p.cpus < 1 || p.cpus > 1024) problems.push(`cpus must be an integer from 1 to 1024, got ${String(p.cpus)}`);
  if (!Number.isFinite(p.ramBytes) || p.ramBytes < 256 * MB || p.ramBytes > 64 * 1024 * GB) problems.push(`RAM must be from 256MB to 64TB, got ${String(p.ramBytes)} bytes`);
  if (!DISK_KINDS.includes(p.disk)) problems.push(`disk must be one of ${DISK_KINDS.join(', ')}, got ${String(p.disk)}`);
  if (!WORKLOADS.includes(p.workload)) problems.push(`workload must be one of ${WORKLOADS.join(', ')}, got ${String(p.workload)}`);
  if (!ADVISOR_MAJORS.includes(p.major)) problems.push(`PostgreSQL major must be one of ${ADVISOR_MAJORS.join(', ')}, got ${String(p.major)}`);
  if (p.connections !== undefined && (!Number.isInteger(p.connections) || p.connections < 1 || p.connections > 100_000)) problems.push(`connections must be an integer from 1 to 100000, got ${String(p.connections)}`);
  if (p.dataBytes !== undefined && (!Number.isFinite(p.dataBytes) || p.dataBytes < 0)) problems.push(`data size must be a size in bytes, got ${String(p.dataBytes)}`);
  return problems;
}

const num = (drafts: Draft[], name: string): number => {
  const d = drafts.find((x) => x.name === name);
  return typeof d?.value === 'number' ? d.value : 0;
};
const set = (drafts: Draft[], name: string, value: number, reason: string) => {
  const d = drafts.find((x) => x.name === name)!;
  d.value = value;
  d.reason = reason;
};

/** The worst case the guard bounds: every backend and parallel worker using a full work_mem in a hash. */
function worstCase(d: Draft[], hashMult: number): number {
  const work = num(d, 'work_mem');
  const maint = num(d, 'maintenance_work_mem');
  const av = num(d, 'autovacuum_work_mem');
  return num(d, 'shared_buffers') + Math.max(0, num(d, 'wal_buffers'))
    + (num(d, 'max_connections') + num(d, 'max_parallel_workers')) * work * hashMult
    + num(d, 'autovacuum_max_workers') * (av > 0 ? av : maint)
    + maint; // one CREATE INDEX or manual VACUUM at a time (its parallel workers share it)
}

/** Settings that take a list: ALTER SYSTEM needs one literal per element ('a', 'b'); one literal 'a,b' would be a single name. */
const LIST_SETTINGS = new Set(['shared_preload_libraries']);

function sqlValue(name: string, value: string): string {
  const lit = (v: string) => `'${v.replaceAll("'", "''")}'`;
  return LIST_SETTINGS.has(name) ? value.split(',').map((x) => lit(x.trim())).join(', ') : lit(value);
}

/**
 * Recommendations for a profile: the baseline of each setting with the rule behind it, work_mem
 * from the memory left, the memory guard, the durability guard, and every value checked against
 * the target major's pg_settings (unit, bounds, enum values). `current` is SHOW's value of each
 * setting when the caller is connected to the server.
 */
export function advise(profile: Profile, current: Record<string, string> = {}, stats?: WorkloadStats, opts: { defaults?: ReadonlySet<string> } = {}): Advice {
  /** Settings whose current value is the server's built-in default (pg_settings.source = 'default'): undone by RESET. */
  const atDefault = opts.defaults ?? new Set<string>();
  const problems = checkProfile(profile);
  if (problems.length) throw new AdvisorError('PGFLEET_ADVISOR_PROFILE', problems);
  const p = { ...profile, replication: profile.replication ?? true, allowDurabilityRisk: profile.allowDurabilityRisk ?? false };
  // Connected and not told: the server's own max_connections (lowering it would refuse clients it serves now).
  const serverConnections = Number(current.max_connections);
  const connections = p.connections ?? (Number.isInteger(serverConnections) && serverConnections > 0 ? serverConnections : DEFAULT_CONNECTIONS[p.workload]);
  const notes: string[] = [];
  const sb = sharedBuffers(p);
  const drafts: Draft[] = [sb, ...baseline(p, connections, sb.value as number)];
  if (p.connections === undefined && current.max_connections) {
    drafts.find((d) => d.name === 'max_connections')!.reason = `the server's current ${connections}: lowering it would refuse clients it may serve now; give --connections to size it (and work_mem with it) to what you expect`;
  }

  // work_mem: what is left of 90 % of RAM after shared_buffers and maintenance, shared by every
  // backend and parallel worker, each with a hash table of work_mem × hash_mem_multiplier.
  const hashMult = 2;
  drafts.push({ name: 'hash_mem_multiplier', value: hashMult, kind: 'number', confidence: 'high',
    reason: 'hashes (joins, aggregates) may use twice work_mem before spilling: they suffer most from spilling (the default from 15 on)' });
  const limit = p.ramBytes * MEMORY_LIMIT_SHARE;
  const nodes = p.workload === 'dw' || p.workload === 'mixed' || p.workload === 'desktop' ? 2 : 1;
  const cap = p.workload === 'dw' ? 1 * GB : p.workload === 'desktop' ? 128 * MB : 256 * MB;
  const fixed = worstCase([...drafts, { name: 'work_mem', value: 0, kind: 'bytes', reason: '', confidence: 'high' }], hashMult);
  const backends = connections + num(drafts, 'max_parallel_workers');
  const raw = (limit - fixed) / (backends * hashMult * nodes);
  const work = Math.max(64 * KB, Math.min(cap, raw >= 8 * MB ? Math.floor(raw / MB) * MB : Math.floor(raw / KB) * KB));
  drafts.push({ name: 'work_mem', value: work, kind: 'bytes', confidence: 'medium',
    reason: `(90 % of RAM − shared_buffers − maintenance memory) / ((${connections} connections + ${num(drafts, 'max_parallel_workers')} parallel workers) × hash_mem_multiplier ${hashMult}${nodes > 1 ? ` × ${nodes} sorts or hashes per query` : ''}) = ${formatBytes(Math.max(0, Math.floor(raw / KB) * KB))}, between 64kB and ${formatBytes(cap)}; raise it per role or per query (SET LOCAL) where one workload needs more (refined from measured temp files when pgfleet has them)` });

  const refined = stats ? refineFromWorkload(p, drafts, stats) : { tables: [], roles: [], notes: [] };
  notes.push(...refined.notes);

  // The memory guard: when even the smallest work_mem does not fit (tiny RAM, many connections),
  // maintenance memory gives way first, then shared_buffers.
  let worst = worstCase(drafts, hashMult);
  if (worst > limit) {
    const maint = Math.max(16 * MB, num(drafts, 'maintenance_work_mem') / 4);
    set(drafts, 'maintenance_work_mem', maint, `${formatBytes(maint)}: lowered so the worst case fits 90 % of RAM`);
    if (num(drafts, 'autovacuum_work_mem') > 0) set(drafts, 'autovacuum_work_mem', -1, '-1 (use maintenance_work_mem), lowered with it');
    worst = worstCase(drafts, hashMult);
  }
  if (worst > limit) {
    const sbNew = Math.max(16 * MB, Math.floor((num(drafts, 'shared_buffers') - (worst - limit)) / MB) * MB);
    set(drafts, 'shared_buffers', sbNew, `${formatBytes(sbNew)}: lowered so that ${connections} connections × work_mem still fit 90 % of RAM; fewer connections (a pooler) would leave it larger`);
    notes.push(`${connections} connections on ${formatBytes(p.ramBytes)} of RAM: shared_buffers was lowered to fit the memory guard; a connection pooler would serve the same clients with fewer backends`);
    worst = worstCase(drafts, hashMult);
  }
  if (worst > limit) {
    notes.push(`the memory guard cannot hold: even with 64kB of work_mem and 16MB of shared_buffers, ${connections} connections may take ${formatBytes(Math.ceil(worst / MB) * MB)} of ${formatBytes(Math.floor(p.ramBytes / MB) * MB)} RAM; fewer connections (a pooler) or more RAM are needed`);
  }

  if (p.allowDurabilityRisk) {
    drafts.push({ name: 'synchronous_commit', value: 'off', kind: 'text', confidence: 'medium',
      reason: `off, as you allowed: commits return before their WAL is on disk; ${DURABILITY_RISKS.synchronous_commit.loses}. fsync and full_page_writes stay on: turning them off risks corruption, not just the last commits` });
  }

  const recommendations: Recommendation[] = [];
  const meta = PG_SETTINGS[p.major];
  for (const d of drafts) {
    const m = meta[d.name];
    if (!m) { notes.push(`${d.name} does not exist in PostgreSQL ${p.major}: left out`); continue; }
    let unitValue = inSettingUnit(d, m);
    let cur = current[d.name] ?? null;
    if (LIST_SETTINGS.has(d.name)) {
      // SHOW writes lists with ", "; compared element by element, written with ",".
      const have = (cur ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      if (cur !== null) cur = have.join(',');
      unitValue = [...have, ...String(unitValue).split(',').filter((x) => !have.includes(x))].join(',');
    }
    const bad = rejectReason(m, unitValue);
    if (bad) throw new AdvisorError('PGFLEET_ADVISOR_BOUNDS', [`${d.name}: ${bad} in PostgreSQL ${p.major} (an advisor rule is wrong)`]);
    const risk = DURABILITY_RISKS[d.name];
    if (risk && risk.unsafe.includes(String(unitValue)) && !p.allowDurabilityRisk) throw new AdvisorError('PGFLEET_ADVISOR_DURABILITY', [`${d.name} = ${String(unitValue)} without opt-in`]);
    const value = formatValue(d, m, unitValue);
    const isDefault = String(unitValue) === m.boot || (m.vartype === 'real' && Number(unitValue) === Number(m.boot));
    // A default the server derives (wal_buffers = -1 shows as shared_buffers/32): the same as recommending the default.
    if (isDefault && atDefault.has(d.name) && cur !== null) cur = value;
    const quoted = sqlValue(d.name, value);
    recommendations.push({
      name: d.name, current: cur, recommended: value, setting: String(unitValue), unit: m.unit, context: m.context, reason: d.reason, confidence: d.confidence,
      sql: `ALTER SYSTEM SET ${d.name} = ${quoted};`,
      rollbackSql: cur === null || cur === '' || atDefault.has(d.name) ? `ALTER SYSTEM RESET ${d.name};` : `ALTER SYSTEM SET ${d.name} = ${sqlValue(d.name, cur)};`,
      isDefault,
      afterLoading: d.name.includes('.') && !(current.shared_preload_libraries ?? '').split(',').map((x) => x.trim()).includes(d.name.split('.')[0]) ? d.name.split('.')[0] : null,
    });
  }
  const order = new Map<string, number>(ADVISOR_SETTINGS.map((n, i) => [n, i]));
  recommendations.sort((x, y) => (order.get(x.name) ?? 999) - (order.get(y.name) ?? 999));
  const formula = 'shared_buffers + wal_buffers + (max_connections + max_parallel_workers) × work_mem × hash_mem_multiplier + autovacuum_max_workers × (autovacuum_work_mem or maintenance_work_mem) + maintenance_work_mem';
  return {
    profile: { cpus: p.cpus, ramBytes: p.ramBytes, disk: p.disk, workload: p.workload, major: p.major, connections, dataBytes: p.dataBytes ?? null, replication: p.replication, allowDurabilityRisk: p.allowDurabilityRisk },
    recommendations, tables: refined.tables, roles: refined.roles, memory: { worstCaseBytes: worst, limitBytes: limit, formula }, notes,
  };
}
