import { execFileSync } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { EmbeddedPostgresError, serverOsUser, startPostgres, type PgMajor, type RunningPostgres } from './start-postgres.ts';

export interface StreamingPairOptions {
  /** Folder for the two data directories, `primary/` and `standby/`; created when missing. Kept after stop. */
  dir: string;
  /** Server settings of both (`-c name=value`); the standby adds its own. */
  settings?: Record<string, string | number>;
  /**
   * Run on the primary before the copy (roles, grants, data): SQL run as the superuser,
   * or a function given the primary. The standby starts with it.
   */
  prepare?: string | ((primary: RunningPostgres) => Promise<void>);
  /** Name of the physical slot, also the standby's application_name. */
  slotName?: string;
  /** See StartOptions.ephemeral. */
  ephemeral?: boolean;
  /** How long to wait for the standby to stream. */
  timeoutMs?: number;
}

export interface StreamingPair {
  primary: RunningPostgres;
  standby: RunningPostgres;
  /** Stops the standby, then the primary; the data directories stay. */
  stop(): Promise<void>;
}

/**
 * A primary and a streaming hot standby of one major. The embedded packages have no
 * pg_basebackup, so the standby starts from a cold copy of the stopped primary's data
 * directory, with standby.signal, and streams through the physical slot made before
 * the copy (so the standby has a copy of the slot too). `prepare` runs before the copy.
 * Resolves once the standby streams.
 */
export async function startStreamingPair(major: PgMajor, opts: StreamingPairOptions): Promise<StreamingPair> {
  const primaryDir = join(opts.dir, 'primary');
  const standbyDir = join(opts.dir, 'standby');
  const slot = opts.slotName ?? 'standby_1';
  if (!/^[a-z0-9_]{1,63}$/.test(slot)) throw new EmbeddedPostgresError(`slot name "${slot}": lower-case letters, digits and _ only`);
  const started: RunningPostgres[] = [];
  const stop = async () => { for (const s of started.splice(0).reverse()) await s.stop(); };
  try {
    const first = await startPostgres({ major, dataDir: primaryDir, settings: opts.settings, ephemeral: opts.ephemeral });
    started.push(first);
    const admin = postgres(first.url, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`SELECT pg_create_physical_replication_slot('${slot}', true)`);
      if (typeof opts.prepare === 'function') await opts.prepare(first);
      else if (opts.prepare?.trim()) await admin.unsafe(opts.prepare);
    } finally {
      await admin.end({ timeout: 1 });
    }
    await stop();
    // cp -a keeps the owner (the postgres OS user when we are root).
    execFileSync('cp', ['-a', primaryDir, standbyDir]);
    writeFileSync(join(standbyDir, 'standby.signal'), '');
    const owner = serverOsUser();
    if (owner) chownSync(join(standbyDir, 'standby.signal'), owner.uid, owner.gid);

    const primary = await startPostgres({ major, dataDir: primaryDir, port: first.port, settings: opts.settings, ephemeral: opts.ephemeral });
    started.push(primary);
    const standby = await startPostgres({
      major, dataDir: standbyDir, ephemeral: opts.ephemeral, settings: {
        ...opts.settings, hot_standby: 'on', primary_slot_name: slot,
        primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=${slot}`,
      },
    });
    started.push(standby);
    await waitStreaming(primary, slot, opts.timeoutMs ?? 30_000);
    return { primary, standby, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Until the primary sees the standby streaming. */
async function waitStreaming(primary: RunningPostgres, slot: string, timeoutMs: number): Promise<void> {
  const sql = postgres(primary.url, { max: 1, onnotice: () => {} });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const rows = await sql`SELECT 1 FROM pg_stat_replication WHERE application_name = ${slot} AND state = 'streaming'`;
      if (rows.length === 1) return;
      if (Date.now() > deadline) throw new EmbeddedPostgresError(`the standby did not stream within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await sql.end({ timeout: 1 });
  }
}
