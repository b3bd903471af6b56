// The advice as people apply it: a report to read, postgresql.conf lines, ALTER SYSTEM SQL, Patroni
// configuration, or JSON.
import { formatSize } from './render.ts';
import type { Advice, Recommendation } from './types.ts';

export const ADVICE_FORMATS = ['report', 'conf', 'sql', 'patroni', 'json'] as const;
export type AdviceFormat = (typeof ADVICE_FORMATS)[number];

const needsRestart = (r: Recommendation) => r.context === 'postmaster';
/** Settings a hot standby must have at least as high as its primary. */
const STANDBY_AT_LEAST = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];
/** What to write out: what differs from the server when connected, else what differs from the defaults. */
const toApply = (a: Advice) => a.recommendations.filter((r) => !unknownList(r) && (r.current === null ? !r.isDefault : r.current !== r.recommended));
/** A list setting whose current value is not known: written out it would replace what the server has. */
const unknownList = (r: Recommendation) => r.name === 'shared_preload_libraries' && r.current === null;

function header(a: Advice): string {
  const p = a.profile;
  return `PostgreSQL ${p.major}, ${p.cpus} CPU${p.cpus === 1 ? '' : 's'}, ${formatSize(p.ramBytes)} RAM, ${p.disk}, ${p.workload}, ${p.connections} connections`
    + `${p.dataBytes !== null ? `, ${formatSize(p.dataBytes)} of data` : ''}${p.replication ? '' : ', no replication'}`;
}

export function formatAdvice(a: Advice, format: AdviceFormat): string {
  const lines: string[] = [];
  if (format === 'json') return `${JSON.stringify(a, null, 2)}\n`;
  if (format === 'report') {
    lines.push(`pgfleet tune: ${header(a)}`, '');
    for (const r of a.recommendations) {
      const change = r.current === null ? '' : r.current === r.recommended ? '  (already set)' : `  (now ${r.current})`;
      lines.push(`${r.name} = ${r.recommended}${change}${needsRestart(r) ? '  [restart]' : ''}  ${r.confidence} confidence`, `    ${r.reason}`);
    }
    for (const t of [...a.roles, ...a.tables]) lines.push(`${'table' in t ? `table ${t.table}${t.database ? ` in ${t.database}` : ''}` : `role ${t.role} in ${t.database}`}: ${Object.entries(t.settings).map(([k, v]) => `${k} = ${v}`).join(', ')}`, `    ${t.reason}`);
    lines.push('', `worst-case memory ${formatSize(a.memory.worstCaseBytes)} of ${formatSize(a.memory.limitBytes)} allowed (90 % of RAM): ${a.memory.formula}`);
    for (const n of a.notes) lines.push(`note: ${n}`);
    return `${lines.join('\n')}\n`;
  }
  const apply = toApply(a);
  const elsewhere = [...a.roles.map((r) => `role ${r.role}`), ...a.tables.map((t) => `table ${t.table}`)];
  const lists = a.recommendations.filter(unknownList);
  const mark = format === 'sql' ? '--' : '#';
  for (const r of lists) lines.push(`${mark} add ${r.recommended.split(',').join(' and ')} to ${r.name}, keeping what it lists now (a restart loads them): pgfleet tune --connect writes the whole list`);
  // postgresql.conf and Patroni hold server settings only: the per-role and per-table ones are SQL.
  if (elsewhere.length && format !== 'sql') lines.push(`# settings for ${elsewhere.join(', ')} from the measured workload: pgfleet tune --format sql`);
  if (format === 'conf') {
    lines.push(`# pgfleet tune: ${header(a)}`);
    for (const r of apply) lines.push(`${r.name} = '${r.recommended.replaceAll("'", "''")}'${needsRestart(r) ? '\t# restart' : ''}`);
  } else if (format === 'sql') {
    lines.push(`-- pgfleet tune: ${header(a)}`, '-- rollback: the ALTER SYSTEM RESET / SET lines at the end, then the same reload or restart');
    for (const r of apply) if (!r.afterLoading) lines.push(r.sql);
    const restart = apply.filter(needsRestart).map((r) => r.name);
    lines.push('SELECT pg_reload_conf();');
    if (restart.length) lines.push(`-- a restart is needed for: ${restart.join(', ')}`);
    const standby = restart.filter((n) => STANDBY_AT_LEAST.includes(n));
    // A hot standby whose values are below the primary's stops replaying (13) or pauses recovery (14+).
    if (a.profile.replication && standby.length) lines.push(`-- on hot standbys, raise ${standby.join(', ')} to at least these values first`);
    const later = apply.filter((r) => r.afterLoading);
    if (later.length) {
      // ALTER SYSTEM knows a library's settings only once the library is loaded.
      lines.push('', `-- after the restart that loads ${[...new Set(later.map((r) => r.afterLoading))].join(', ')}:`);
      for (const r of later) lines.push(r.sql);
      lines.push('SELECT pg_reload_conf();');
      const again = later.filter(needsRestart).map((r) => r.name);
      if (again.length) lines.push(`-- and a second restart for: ${again.join(', ')}`);
    }
    if (a.roles.length || a.tables.length) lines.push('', '-- for single roles and tables, from the measured workload:');
    for (const t of a.roles) lines.push(t.sql);
    // ALTER TABLE acts in the database it is run in.
    for (const t of a.tables) lines.push(t.database ? `-- in database ${t.database}:\n${t.sql}` : t.sql);
    lines.push('', '-- rollback:');
    for (const r of apply) lines.push(`-- ${r.rollbackSql}`);
    for (const t of [...a.roles, ...a.tables]) lines.push(`-- ${t.rollbackSql}`);
  } else {
    // Patroni keeps PostgreSQL's parameters in its DCS configuration (patronictl edit-config) or in patroni.yml.
    lines.push(`# pgfleet tune: ${header(a)}`, '# patronictl edit-config, or bootstrap.dcs in patroni.yml', 'postgresql:', '  parameters:');
    for (const r of apply) lines.push(`    ${r.name}: ${/^[\w.-]+$/.test(r.recommended) && !/^(on|off|yes|no|true|false|y|n)$/i.test(r.recommended) ? r.recommended : `'${r.recommended.replaceAll("'", "''")}'`}`);
  }
  return `${lines.join('\n')}\n`;
}
