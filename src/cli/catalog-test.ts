import { Type, type Static } from '@sinclair/typebox';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { collectorsForPreset, loadCatalog, PRESETS, type CollectorDef } from '../catalog/index.ts';
import {
  binDirOf, hasExtension, PG_MAJORS, scratchDir, startPostgres, startStreamingPair, type PgMajor, type RunningPostgres,
} from '../pg-embedded/index.ts';
import { checkServer, prepareFixture } from './catalog-check.ts';
import { planOf } from './catalog-plan.ts';
import { formatReport, reportOf, type ServerReport } from './catalog-report.ts';
import type { FieldSpec } from './config.ts';
import { logLine } from './log.ts';

export const CatalogTestConfig = Type.Object({
  versions: Type.Array(Type.Union([Type.String(), Type.Integer()]), { default: PG_MAJORS.map(String) }),
  replicas: Type.Array(Type.Union([Type.String(), Type.Integer()]), { default: ['oldest', 'newest'] }),
  preset: Type.Union(PRESETS.map((p) => Type.Literal(p)), { default: 'exhaustive' }),
  catalog_dir: Type.Array(Type.String(), { default: [] }),
  json: Type.Boolean({ default: false }),
  parallel: Type.Integer({ minimum: 0, default: 0 }),
  statement_timeout_ms: Type.Integer({ minimum: 100, default: 5000 }),
  lock_timeout_ms: Type.Integer({ minimum: 10, default: 1000 }),
}, { additionalProperties: false });
export type CatalogTestConfig = Static<typeof CatalogTestConfig>;

export const CATALOG_TEST_FIELDS: FieldSpec[] = [
  { key: 'versions', flag: 'versions', type: 'list', description: `PostgreSQL majors to start, e.g. 13,16,18 (supported: ${PG_MAJORS.join(', ')})` },
  { key: 'replicas', flag: 'replicas', type: 'list', description: 'majors that also get a streaming replica: majors, oldest, newest, all or none' },
  { key: 'preset', flag: 'preset', type: 'string', description: 'minimal | standard | exhaustive: the collectors to run' },
  { key: 'catalog_dir', flag: 'catalog-dir', env: 'PGFLEET_CATALOG_DIR', type: 'list', description: 'folders of extra collector YAML files, as for the agent' },
  { key: 'json', flag: 'json', type: 'boolean', description: 'one JSON object per line instead of text' },
  { key: 'parallel', flag: 'parallel', type: 'number', description: 'majors checked at once (0: one per CPU)' },
  { key: 'statement_timeout_ms', flag: 'statement-timeout-ms', type: 'number', description: 'statement_timeout of every query' },
  { key: 'lock_timeout_ms', flag: 'lock-timeout-ms', type: 'number', description: 'lock_timeout of every query' },
];

/** Scratch servers, thrown away after the run: no durability; I/O and function timing on, so those columns carry values. */
const SERVER_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', track_io_timing: 'on', track_functions: 'all' };

/** Starts one major (with its replica when asked), prepares it, checks every server; never rejects. */
async function checkMajor(major: PgMajor, withReplica: boolean, defs: CollectorDef[], cfg: CatalogTestConfig, root: string, signal: AbortSignal): Promise<ServerReport[]> {
  const roles: ServerReport['role'][] = withReplica ? ['primary', 'replica'] : ['primary'];
  if (signal.aborted) return roles.map((role) => reportOf(major, role, [], { error: 'interrupted' }));
  const pgss = hasExtension(major, 'pg_stat_statements');
  // pg_stat_statements works only when loaded at server start.
  const settings = { ...SERVER_SETTINGS, ...(pgss ? { shared_preload_libraries: 'pg_stat_statements' } : {}) };
  const dir = join(root, `pg${major}`);
  const servers: RunningPostgres[] = [];
  let stop = async () => {};
  try {
    if (withReplica) {
      const pair = await startStreamingPair(major, { dir, settings, ephemeral: true, prepare: (p) => prepareFixture(p, pgss) });
      servers.push(pair.primary, pair.standby);
      stop = pair.stop;
    } else {
      const pg = await startPostgres({ major, dataDir: join(dir, 'primary'), settings, ephemeral: true });
      stop = pg.stop;
      await prepareFixture(pg, pgss);
      servers.push(pg);
    }
    logLine('info', `catalog test: PostgreSQL ${major} ${withReplica ? 'primary and streaming replica' : 'primary'} started`);
    const out: ServerReport[] = [];
    for (const [i, server] of servers.entries()) {
      try {
        const c = await checkServer(server, defs, { statementTimeoutMs: cfg.statement_timeout_ms, lockTimeoutMs: cfg.lock_timeout_ms }, signal);
        if (c.role !== roles[i]) out.push(reportOf(major, roles[i], c.results, { version: c.version, version_num: c.version_num, error: `expected a ${roles[i]}, found a ${c.role}` }));
        else out.push(reportOf(major, roles[i], c.results, { version: c.version, version_num: c.version_num }));
      } catch (err) {
        out.push(reportOf(major, roles[i], [], { error: signal.aborted ? 'interrupted' : (err as Error).message }));
      }
    }
    return out;
  } catch (err) {
    return roles.map((role) => reportOf(major, role, [], { error: signal.aborted ? 'interrupted' : `could not start: ${(err as Error).message}` }));
  } finally {
    await stop().catch((err) => logLine('warn', `catalog test: stopping PostgreSQL ${major}: ${(err as Error).message}`));
  }
}

/** Runs the tasks, at most `n` at once; the promises come back in the tasks' order. */
function runLimited<T>(tasks: (() => Promise<T>)[], n: number): Promise<T>[] {
  const slots = tasks.map(() => {
    let resolve!: (v: T) => void;
    const promise = new Promise<T>((r) => { resolve = r; });
    return { promise, resolve };
  });
  let next = 0;
  const worker = async () => { while (next < tasks.length) { const i = next++; slots[i].resolve(await tasks[i]()); } };
  for (let k = 0; k < Math.min(n, tasks.length); k++) void worker();
  return slots.map((s) => s.promise);
}

/**
 * `pgfleet catalog test`: starts each requested PostgreSQL major from the embedded
 * packages (and a streaming replica for some), runs every SQL collector of the catalog
 * on each server as a pg_monitor role, prints one line per server; 0 when none failed.
 */
export async function runCatalogTest(cfg: CatalogTestConfig, _env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<number> {
  const { versions, replicas } = planOf(cfg.versions, cfg.replicas);
  const all = collectorsForPreset(loadCatalog(cfg.catalog_dir), cfg.preset);
  const defs = all.filter((d) => d.scope !== 'node');
  const nodeScoped = all.filter((d) => d.scope === 'node').map((d) => d.id);
  for (const m of versions) binDirOf(m); // a missing package is reported before anything starts
  const head = { collectors: all.length, sql: defs.length, node: nodeScoped, preset: cfg.preset };
  process.stdout.write(cfg.json ? `${JSON.stringify({ type: 'catalog', ...head })}\n`
    : `catalog: ${all.length} collectors in preset ${cfg.preset}: ${defs.length} SQL, ${nodeScoped.length} node-scope not run here (${nodeScoped.join(', ') || 'none'})\n`);

  const root = scratchDir('pgfleet-catalog-');
  logLine('info', `catalog test: servers in ${root.path}`);
  try {
    const parallel = cfg.parallel || availableParallelism();
    const results = runLimited(versions.map((m) => () => checkMajor(m, replicas.has(m), defs, cfg, root.path, signal)), parallel);
    let failed = 0;
    let servers = 0;
    for (const pending of results) {
      for (const r of await pending) {
        // After Ctrl-C, what was cut short is not a result.
        if (signal.aborted && r.error === 'interrupted') continue;
        servers++;
        failed += r.failed;
        process.stdout.write(`${cfg.json ? JSON.stringify({ type: 'server', ...r }) : formatReport(r)}\n`);
      }
    }
    const interrupted = signal.aborted;
    process.stdout.write(cfg.json ? `${JSON.stringify({ type: 'summary', servers, failed, ...(interrupted ? { interrupted } : {}) })}\n`
      : `${servers} servers, ${failed} failed${interrupted ? ' (interrupted)' : ''}\n`);
    return failed === 0 && !interrupted ? 0 : 1;
  } finally {
    root.remove();
  }
}
