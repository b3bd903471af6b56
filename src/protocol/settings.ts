import { Type, type Static } from '@sinclair/typebox';
import { INT4_MAX, MAX_TIME_MS, PgText } from './limits.ts';

/** One row of pg_settings, as a session of the agent's role sees it when it sets nothing itself. */
export const SettingEntry = Type.Object({
  name: PgText({ minLength: 1, maxLength: 200 }),
  /** pg_settings.setting: in the setting's unit (8kB blocks, kB, ms, …), as PostgreSQL prints it. */
  setting: PgText({ maxLength: 8192 }),
  unit: Type.Optional(PgText({ maxLength: 20 })),
  /** bool, enum, integer, real, string. */
  vartype: PgText({ maxLength: 20 }),
  /** When a change takes effect: internal, postmaster (restart), sighup (reload), superuser, user, … */
  context: PgText({ maxLength: 40 }),
  category: Type.Optional(PgText({ maxLength: 200 })),
  /** Where the value comes from: default, configuration file, command line, database, user, override, … */
  source: PgText({ maxLength: 40 }),
  /** The file and line that set it (visible to superusers and pg_read_all_settings members). */
  sourcefile: Type.Optional(PgText({ maxLength: 1000 })),
  sourceline: Type.Optional(Type.Integer({ minimum: 0, maximum: INT4_MAX })),
  /** Changed in the configuration files, waiting for a restart. */
  pending_restart: Type.Boolean(),
  boot_val: Type.Optional(PgText({ maxLength: 8192 })),
  reset_val: Type.Optional(PgText({ maxLength: 8192 })),
}, { additionalProperties: false });
export type SettingEntry = Static<typeof SettingEntry>;

/**
 * `settings`: the server's settings. `full` carries every setting (at the agent's start, after a
 * restart of the server, and once a day, so that a store that lost a message or dropped old
 * partitions has a whole base again); otherwise only the settings that changed since the last
 * message, and the names of those that are gone (a library unloaded).
 */
export const SettingsData = Type.Object({
  full: Type.Boolean(),
  settings: Type.Array(SettingEntry, { maxItems: 10_000 }),
  removed: Type.Optional(Type.Array(PgText({ minLength: 1, maxLength: 200 }), { maxItems: 10_000 })),
  /** pg_conf_load_time(): when the server last read its configuration files, ms since the epoch. */
  conf_load_time: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_TIME_MS })),
}, { additionalProperties: false });
export type SettingsData = Static<typeof SettingsData>;

/** Fields whose change is a change of the setting (the category is descriptive). */
const COMPARED = ['setting', 'unit', 'source', 'sourcefile', 'sourceline', 'pending_restart', 'context', 'vartype', 'boot_val', 'reset_val'] as const;

/** Whether two entries of one setting say the same thing. */
export function sameSetting(a: SettingEntry, b: SettingEntry): boolean {
  return COMPARED.every((k) => (a[k] ?? null) === (b[k] ?? null));
}
