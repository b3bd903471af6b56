import type { Sql } from 'postgres';
import { cutText, sameSetting, type SettingEntry, type SettingsData } from '../protocol/index.ts';

/**
 * Every row of pg_settings but those a client sets for its own session (source `client`: the
 * agent's application_name and client encoding, not the server's). The query runs on a session
 * that sets nothing itself (no statement_timeout, no lock_timeout: reading pg_settings takes no
 * lock), so statement_timeout and the like show the server's values and where they come from.
 * sourcefile and sourceline are null unless the role may read them (superuser, pg_read_all_settings).
 */
export const SETTINGS_QUERY = `SELECT name, setting, unit, vartype, context, category, source, sourcefile, sourceline,
       coalesce(pending_restart, false) AS pending_restart, boot_val, reset_val,
       (extract(epoch FROM pg_conf_load_time()) * 1000)::float8 AS conf_load_time
  FROM pg_settings
 WHERE source <> 'client'
 ORDER BY name`;

/** A full snapshot goes out at least this often, so the store always has a base close by. */
export const SETTINGS_FULL_EVERY_MS = 86_400_000;

/** Text fields are cut to what the protocol takes. */
function entryOf(r: Record<string, unknown>): SettingEntry {
  const opt = (k: string, max: number) => (r[k] === null || r[k] === undefined || r[k] === '' ? {} : { [k]: cutText(String(r[k]), max) });
  return {
    name: cutText(String(r.name), 200), setting: cutText(String(r.setting ?? ''), 8192), ...opt('unit', 20),
    vartype: cutText(String(r.vartype ?? ''), 20), context: cutText(String(r.context ?? ''), 40), ...opt('category', 200),
    source: cutText(String(r.source ?? ''), 40), ...opt('sourcefile', 1000),
    ...(r.sourceline === null || r.sourceline === undefined ? {} : { sourceline: Number(r.sourceline) }),
    pending_restart: r.pending_restart === true || r.pending_restart === 't', ...opt('boot_val', 8192), ...opt('reset_val', 8192),
  };
}

/**
 * pg_settings as messages: every setting at the first run, after `forget()` (the server
 * restarted) and once a day; in between only what changed, and nothing when nothing did.
 */
export class SettingsSampler {
  private last?: Map<string, SettingEntry>;
  private lastFullAt = 0;

  constructor(private readonly fullEveryMs = SETTINGS_FULL_EVERY_MS) {}

  /** The next message from pg_settings' rows; undefined when nothing changed. */
  next(rows: Record<string, unknown>[], now: number): SettingsData | undefined {
    const entries = rows.map(entryOf);
    const current = new Map(entries.map((e) => [e.name, e]));
    const loadTime = Number(rows[0]?.conf_load_time);
    const conf = Number.isFinite(loadTime) && loadTime > 0 ? { conf_load_time: Math.round(loadTime) } : {};
    const prev = this.last;
    this.last = current;
    if (!prev || now - this.lastFullAt >= this.fullEveryMs) {
      this.lastFullAt = now;
      return { full: true, settings: entries, ...conf };
    }
    const changed = entries.filter((e) => { const p = prev.get(e.name); return !p || !sameSetting(p, e); });
    const removed = [...prev.keys()].filter((n) => !current.has(n));
    if (changed.length === 0 && removed.length === 0) return undefined;
    return { full: false, settings: changed, ...(removed.length ? { removed } : {}), ...conf };
  }

  /**
   * Reads pg_settings and builds the next message. The session has no statement_timeout of its
   * own, so the query is cancelled from here after `timeoutMs`.
   */
  async sample(sql: Sql, now: number, timeoutMs: number): Promise<SettingsData | undefined> {
    const query = sql.unsafe(SETTINGS_QUERY).simple();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void Promise.resolve(query.cancel()).catch(() => {});
        reject(new Error(`reading pg_settings took longer than ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const rows = await Promise.race([query, timeout]) as unknown as Record<string, unknown>[];
      return this.next(rows, now);
    } finally {
      clearTimeout(timer);
      query.catch(() => {});
    }
  }

  /** Sends every setting next time (the server restarted; or a message was lost). */
  forget(): void {
    this.last = undefined;
  }
}
