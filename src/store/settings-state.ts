// Settings of an instance at a moment, and what changed between moments, from the stored
// `settings` messages: a full snapshot followed by changes (docs/storage.md#settings). Pure.
import { sameSetting, type SettingEntry } from '../protocol/index.ts';

/** One stored settings message. */
export interface SettingsRow {
  ts: number;
  full: boolean;
  settings: SettingEntry[];
  removed: string[] | null;
  conf_load_time: number | null;
}

/** Settings by name, with the newest message applied and whether a full snapshot is under them. */
export interface SettingsState {
  settings: Map<string, SettingEntry>;
  /** A full snapshot was applied: names missing from the map are settings the server does not have. */
  complete: boolean;
  /** ts of the newest message applied; null before any. */
  asOf: number | null;
  confLoadTime: number | null;
}

/** One setting's change: absent before (added) or after (removed) is null. */
export interface SettingChange {
  ts: number;
  name: string;
  before: SettingEntry | null;
  after: SettingEntry | null;
}

export function emptySettingsState(): SettingsState {
  return { settings: new Map(), complete: false, asOf: null, confLoadTime: null };
}

/** The state after `row`, and the changes the row makes to `state` (state is updated in place). */
export function applySettingsRow(state: SettingsState, row: SettingsRow): SettingChange[] {
  const changes: SettingChange[] = [];
  const put = (e: SettingEntry) => {
    const before = state.settings.get(e.name) ?? null;
    if (!before || !sameSetting(before, e)) changes.push({ ts: row.ts, name: e.name, before, after: e });
    state.settings.set(e.name, e);
  };
  const drop = (name: string) => {
    const before = state.settings.get(name);
    if (before) changes.push({ ts: row.ts, name, before, after: null });
    state.settings.delete(name);
  };
  if (row.full) {
    const names = new Set(row.settings.map((e) => e.name));
    for (const name of [...state.settings.keys()]) if (!names.has(name)) drop(name);
    for (const e of row.settings) put(e);
    // Without a base the first full snapshot lists every setting as added: that is not a change.
    if (!state.complete) changes.length = 0;
    state.complete = true;
  } else {
    for (const e of row.settings) put(e);
    for (const name of row.removed ?? []) drop(name);
  }
  state.asOf = row.ts;
  if (row.conf_load_time !== null) state.confLoadTime = row.conf_load_time;
  changes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return changes;
}

/** Applies the rows in ts order: the state after the last, and every change after the first full snapshot. */
export function replaySettings(rows: SettingsRow[], state = emptySettingsState()): { state: SettingsState; changes: SettingChange[] } {
  const changes: SettingChange[] = [];
  for (const row of [...rows].sort((a, b) => a.ts - b.ts)) changes.push(...applySettingsRow(state, row));
  return { state, changes };
}

/** The settings that differ between two states, by name. */
export function diffSettings(a: SettingsState, b: SettingsState): { name: string; before: SettingEntry | null; after: SettingEntry | null }[] {
  const names = [...new Set([...a.settings.keys(), ...b.settings.keys()])].sort();
  const out: { name: string; before: SettingEntry | null; after: SettingEntry | null }[] = [];
  for (const name of names) {
    const before = a.settings.get(name) ?? null;
    const after = b.settings.get(name) ?? null;
    if (before && after && sameSetting(before, after)) continue;
    out.push({ name, before, after });
  }
  return out;
}
