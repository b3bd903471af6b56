// Where a copy goes: a target database (sync, restore) or a dump directory. Both keep what is done
// as they go, so a copy killed halfway is marked incomplete and a rerun with the same source,
// dictionary and key finishes it: each table lands whole or not at all.
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql, TransactionSql } from 'postgres';
import { anonConnection } from './connect.ts';
import { q, qualified, type CopyTable } from './schema.ts';
import { AnonError } from './errors.ts';

/** What a sink is asked to build, and what tells two copies apart. */
export interface CopyPlan {
  pre: string[];
  post: string[];
  tables: CopyTable[];
  /** A digest of source, dictionary and key: a rerun resumes only the same copy. */
  fingerprint: string;
  /** Shown in the markers: where the data came from. */
  source: string;
}

export interface Sink {
  /** Creates the schema, or finds an earlier incomplete copy of the same plan; returns the tables already done. */
  prepare(plan: CopyPlan): Promise<{ resumed: boolean; done: Set<string> }>;
  /** Writes one table's COPY text whole (replacing a partial earlier attempt). */
  writeTable(t: CopyTable, chunks: AsyncIterable<Uint8Array | string>): Promise<void>;
  /** Constraints, indexes, views, sequence values: each once. */
  finishSchema(statements: string[]): Promise<void>;
  /** Marks the copy complete, with its report. */
  complete(report: unknown): Promise<void>;
  close(): Promise<void>;
}

export const tableKey = (t: { schema: string; name: string }): string => `${t.schema}.${t.name}`;

/** Writes chunks into a COPY FROM STDIN stream with back-pressure, and waits for PostgreSQL's answer. */
async function pipeInto(stream: NodeJS.WritableStream, chunks: AsyncIterable<Uint8Array | string>): Promise<void> {
  let failed: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    stream.once('error', (err: Error) => { failed = err; reject(err); });
    stream.once('finish', resolve);
  });
  done.catch(() => {});
  try {
    for await (const c of chunks) {
      if (failed) break;
      if (!stream.write(c)) await Promise.race([new Promise((r) => stream.once('drain', r)), done]);
    }
  } catch (err) {
    (stream as unknown as { destroy(e: Error): void }).destroy(err as Error);
    throw err;
  }
  stream.end();
  // postgres.js 3.4 may never settle a COPY the server refused (porsager/postgres#1173): after the
  // last byte, PostgreSQL answers at once; silence for two minutes is that refusal.
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AnonError('PGFLEET_ANON_COPY_STALLED', 'the target did not confirm the end of a COPY within 120 s: it refused the data')), 120_000);
  });
  try { await Promise.race([done, stalled]); } finally { clearTimeout(timer); }
  if (failed) throw failed;
}

/** A target database. Its schema `pgfleet_anon` records the copy; the database's comment says whether it is complete. */
export class DbSink implements Sink {
  readonly sql: Sql;

  constructor(url: string, jobs: number, strict = false) {
    this.sql = anonConnection(url, { max: jobs + 1, strict, what: 'target' });
  }

  async prepare(plan: CopyPlan): Promise<{ resumed: boolean; done: Set<string> }> {
    const [state] = await this.sql`select to_regclass('pgfleet_anon.run') is not null as marked`;
    if (state.marked) {
      const [run] = await this.sql`select status, fingerprint, source from pgfleet_anon.run`;
      if (run?.status === 'complete') throw new AnonError('PGFLEET_ANON_TARGET_NOT_EMPTY', `the target already holds a finished copy of ${run.source}; drop the database or choose another`);
      if (run && run.fingerprint !== plan.fingerprint) {
        throw new AnonError('PGFLEET_ANON_TARGET_NOT_EMPTY', `the target holds an incomplete copy of ${run.source} made with another source, dictionary or key; drop the database to start over`);
      }
      const steps = await this.sql`select name from pgfleet_anon.step`;
      return { resumed: true, done: new Set(steps.map((s) => s.name as string)) };
    }
    const [{ n }] = await this.sql`
      select count(*)::int as n from pg_class c join pg_namespace ns on ns.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'S') and ns.nspname not in ('pg_catalog', 'information_schema') and ns.nspname not like 'pg\\_toast%'`;
    if (n > 0) throw new AnonError('PGFLEET_ANON_TARGET_NOT_EMPTY', `the target database is not empty (${n} tables, views or sequences); copy into a new database`);
    await this.sql.begin(async (tx) => {
      await tx.unsafe('set local check_function_bodies = off');
      await tx.unsafe(`create schema pgfleet_anon;
        create table pgfleet_anon.run (id int primary key default 1 check (id = 1), status text not null, fingerprint text not null, source text not null,
          started_at timestamptz not null default now(), finished_at timestamptz, report jsonb);
        create table pgfleet_anon.step (name text primary key, rows bigint, at timestamptz not null default now());
        comment on schema pgfleet_anon is 'pgfleet anon: what this masked copy holds and whether it is complete'`);
      await tx`insert into pgfleet_anon.run (status, fingerprint, source) values ('incomplete', ${plan.fingerprint}, ${plan.source})`;
      for (const s of plan.pre) await tx.unsafe(s);
      await this.comment(tx, `INCOMPLETE masked copy of ${plan.source} by pgfleet anon (started ${new Date().toISOString()}): do not use; rerun the copy to finish it`);
    });
    return { resumed: false, done: new Set() };
  }

  /** The database's comment, where the target's owner may set it (not being the owner is no error). */
  private async comment(tx: TransactionSql, text: string): Promise<void> {
    await tx.unsafe('savepoint c');
    try { await tx.unsafe(`comment on database ${q((await tx`select current_database() as d`)[0].d as string)} is '${text.replace(/'/g, "''")}'`); await tx.unsafe('release savepoint c'); } catch { await tx.unsafe('rollback to savepoint c'); }
  }

  async writeTable(t: CopyTable, chunks: AsyncIterable<Uint8Array | string>): Promise<void> {
    await this.sql.begin(async (tx) => {
      // A table left by a killed run is emptied in the same transaction that fills it again.
      await tx.unsafe(`truncate only ${qualified(t.schema, t.name)}`);
      const stream = await tx.unsafe(`copy ${qualified(t.schema, t.name)} (${t.columns.map((c) => q(c.name)).join(', ')}) from stdin`).writable();
      await pipeInto(stream, chunks);
      await tx`insert into pgfleet_anon.step (name) values (${`table:${tableKey(t)}`})`;
    });
  }

  async finishSchema(statements: string[]): Promise<void> {
    const done = new Set((await this.sql`select name from pgfleet_anon.step where name like 'post:%'`).map((s) => s.name as string));
    for (const [i, s] of statements.entries()) {
      const name = `post:${i}`;
      if (done.has(name)) continue;
      await this.sql.begin(async (tx) => {
        await tx.unsafe('set local check_function_bodies = off');
        try { await tx.unsafe(s); } catch (err) {
          const e = err as { message: string; detail?: string };
          throw new AnonError('PGFLEET_ANON_TARGET', `the target refused "${s.slice(0, 200)}": ${e.message}${e.detail ? ` (${e.detail})` : ''}`, { cause: err });
        }
        await tx`insert into pgfleet_anon.step (name) values (${name})`;
      });
    }
    await this.sql.unsafe('analyze');
  }

  async complete(report: unknown): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`update pgfleet_anon.run set status = 'complete', finished_at = now(), report = ${JSON.stringify(report)}::text::jsonb`;
      const [run] = await tx`select source from pgfleet_anon.run`;
      await this.comment(tx, `masked copy of ${run.source} by pgfleet anon, complete (${new Date().toISOString()}); see pgfleet_anon.run`);
    });
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 0 });
  }
}

const MANIFEST = 'manifest.json';
const INCOMPLETE = 'INCOMPLETE';

/** What a dump directory holds; `pgfleet anon restore` reads it back. */
export interface DumpManifest {
  format: 'pgfleet-anon-dump';
  version: 1;
  fingerprint: string;
  source: string;
  complete: boolean;
  pre: string[];
  post: string[];
  tables: (CopyTable & { file: string; done: boolean })[];
  report?: unknown;
}

/** A dump directory: schema SQL, one COPY text file per table, a manifest, and restore.sql for psql. */
export class DirSink implements Sink {
  private manifest?: DumpManifest;

  constructor(private readonly dir: string) {}

  private save(): void {
    writeFileSync(join(this.dir, `${MANIFEST}.tmp`), JSON.stringify(this.manifest, null, 1));
    renameSync(join(this.dir, `${MANIFEST}.tmp`), join(this.dir, MANIFEST));
  }

  async prepare(plan: CopyPlan): Promise<{ resumed: boolean; done: Set<string> }> {
    if (existsSync(join(this.dir, MANIFEST))) {
      const m = JSON.parse(readFileSync(join(this.dir, MANIFEST), 'utf8')) as DumpManifest;
      if (m.complete) throw new AnonError('PGFLEET_ANON_TARGET_NOT_EMPTY', `${this.dir} already holds a finished dump of ${m.source}; choose another directory`);
      if (m.fingerprint !== plan.fingerprint) throw new AnonError('PGFLEET_ANON_TARGET_NOT_EMPTY', `${this.dir} holds an incomplete dump made with another source, dictionary or key; remove it to start over`);
      this.manifest = { ...m, post: plan.post };
      return { resumed: true, done: new Set(m.tables.filter((t) => t.done).map((t) => `table:${tableKey(t)}`)) };
    }
    if (existsSync(this.dir) && readdirSync(this.dir).length > 0) throw new AnonError('PGFLEET_ANON_TARGET_NOT_EMPTY', `${this.dir} is not empty; dump into a new directory`);
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    writeFileSync(join(this.dir, INCOMPLETE), `This dump by pgfleet anon of ${plan.source} is incomplete: rerun the same dump to finish it.\n`);
    this.manifest = {
      format: 'pgfleet-anon-dump', version: 1, fingerprint: plan.fingerprint, source: plan.source, complete: false, pre: plan.pre, post: plan.post,
      tables: plan.tables.map((t, i) => ({ ...t, file: `data/${String(i).padStart(4, '0')}.${t.schema}.${t.name}.copy`.replace(/[^A-Za-z0-9._/-]/g, '_'), done: false })),
    };
    writeFileSync(join(this.dir, 'pre-data.sql'), `set check_function_bodies = off;\n${plan.pre.map((s) => `${s};\n`).join('')}`);
    this.save();
    return { resumed: false, done: new Set() };
  }

  async writeTable(t: CopyTable, chunks: AsyncIterable<Uint8Array | string>): Promise<void> {
    const entry = this.manifest!.tables.find((x) => tableKey(x) === tableKey(t))!;
    const part = join(this.dir, `${entry.file}.part`);
    const out = createWriteStream(part);
    await pipeFile(out, chunks);
    renameSync(part, join(this.dir, entry.file));
    entry.done = true;
    this.save();
  }

  async finishSchema(statements: string[]): Promise<void> {
    writeFileSync(join(this.dir, 'post-data.sql'), statements.map((s) => `${s};\n`).join(''));
    const copies = this.manifest!.tables.map((t) => `\\copy ${qualified(t.schema, t.name)} (${t.columns.map((c) => q(c.name)).join(', ')}) from '${t.file}'\n`).join('');
    writeFileSync(join(this.dir, 'restore.sql'), `-- Restores this dump with psql, run from this directory: psql -d <new database> -f restore.sql\n\\set ON_ERROR_STOP on\n\\i pre-data.sql\n${copies}\\i post-data.sql\n`);
    this.manifest!.post = statements;
    this.save();
  }

  async complete(report: unknown): Promise<void> {
    this.manifest!.complete = true;
    this.manifest!.report = report;
    this.save();
    writeFileSync(join(this.dir, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
    rmSync(join(this.dir, INCOMPLETE), { force: true });
  }

  async close(): Promise<void> {}
}

async function pipeFile(out: NodeJS.WritableStream, chunks: AsyncIterable<Uint8Array | string>): Promise<void> {
  const done = new Promise<void>((resolve, reject) => { out.once('error', reject); out.once('finish', resolve); });
  done.catch(() => {});
  for await (const c of chunks) if (!out.write(c)) await Promise.race([new Promise((r) => out.once('drain', r)), done]);
  out.end();
  await done;
}

/** Reads a finished dump's manifest for `restore`; an unfinished or foreign directory is refused. */
export function readDump(dir: string): DumpManifest {
  const p = join(dir, MANIFEST);
  if (!existsSync(p)) throw new AnonError('PGFLEET_ANON_DUMP', `${dir} holds no pgfleet anon dump (no ${MANIFEST})`);
  const m = JSON.parse(readFileSync(p, 'utf8')) as DumpManifest;
  if (m.format !== 'pgfleet-anon-dump' || m.version !== 1) throw new AnonError('PGFLEET_ANON_DUMP', `${p} is not a pgfleet anon dump manifest of version 1`);
  if (!m.complete) throw new AnonError('PGFLEET_ANON_DUMP', `the dump in ${dir} is incomplete: rerun the dump to finish it before restoring`);
  return m;
}
