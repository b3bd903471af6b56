import type { Sql, TransactionSql } from 'postgres';
import type { SettingsData } from '../protocol/index.ts';
import { diffSettings, replaySettings, type SettingChange, type SettingsRow, type SettingsState } from './settings-state.ts';

export interface SettingsMessage { instanceId: number; ts: number; data: SettingsData }

const ROW_COLUMNS = 'ts, is_full as full, settings, removed, conf_load_time';

function toRow(r: Record<string, unknown>): SettingsRow {
  return {
    ts: Number(r.ts), full: r.full as boolean, settings: r.settings as SettingsRow['settings'],
    removed: (r.removed as string[] | null) ?? null, conf_load_time: r.conf_load_time === null ? null : Number(r.conf_load_time),
  };
}

/** Settings history of each instance: full snapshots and changes, read back as the state at a moment. */
export class SettingsStore {
  constructor(private readonly sql: Sql) {}

  /**
   * Writes the messages in ts order. A full snapshot that says what the store already has at its
   * moment (the agent sends one a day, and after restarts) is left out: the history grows with
   * changes only.
   */
  async write(tx: TransactionSql, msgs: SettingsMessage[]): Promise<void> {
    for (const m of [...msgs].sort((a, b) => a.ts - b.ts)) {
      if (m.data.full) {
        const { state } = replaySettings(await this.rowsUpTo(tx, m.instanceId, m.ts));
        const next = replaySettings([{ ts: m.ts, full: true, settings: m.data.settings, removed: null, conf_load_time: m.data.conf_load_time ?? null }]).state;
        // A new conf_load_time (a reload, a restart) is kept even when no setting changed.
        if (state.complete && diffSettings(state, next).length === 0 && (m.data.conf_load_time === undefined || state.confLoadTime === Math.round(m.data.conf_load_time))) continue;
      }
      await tx`insert into settings_snapshots (instance_id, ts, is_full, settings, removed, conf_load_time)
        values (${m.instanceId}, ${m.ts}, ${m.data.full}, ${JSON.stringify(m.data.settings)}::text::jsonb, ${m.data.removed ?? null}::text[], ${m.data.conf_load_time === undefined ? null : Math.round(m.data.conf_load_time)}::bigint)`;
    }
  }

  /** The rows from the newest full snapshot at or before `at` (or from the first row, without one) up to `at`. */
  private async rowsUpTo(sql: Sql | TransactionSql, instanceId: number, at: number): Promise<SettingsRow[]> {
    const rows = await sql.unsafe(
      `select ${ROW_COLUMNS} from settings_snapshots
        where instance_id = $1 and ts <= $2::bigint
          and ts >= coalesce((select max(ts) from settings_snapshots where instance_id = $1 and is_full and ts <= $2::bigint), 0)
        order by ts`, [instanceId, String(at)] as never[]);
    return rows.map(toRow);
  }

  /** The settings of an instance at a moment. */
  async at(instanceId: number, at: number): Promise<SettingsState> {
    return replaySettings(await this.rowsUpTo(this.sql, instanceId, at)).state;
  }

  /** Each change of a setting in (from, to], oldest first, with the state at `from`. */
  async changes(instanceId: number, from: number, to: number): Promise<{ base: SettingsState; changes: SettingChange[] }> {
    const { state } = replaySettings(await this.rowsUpTo(this.sql, instanceId, from));
    const later = await this.sql.unsafe(
      `select ${ROW_COLUMNS} from settings_snapshots where instance_id = $1 and ts > $2::bigint and ts <= $3::bigint order by ts`,
      [instanceId, String(from), String(to)] as never[]);
    const baseline = { ...state, settings: new Map(state.settings) };
    return { base: baseline, changes: replaySettings(later.map(toRow), state).changes };
  }
}
