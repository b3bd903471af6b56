import { Type, type Static } from '@sinclair/typebox';
import { COLLECTOR_ROLES, COLLECTOR_SCOPES, COLUMN_USAGES, PRESETS } from './types.ts';

/** Collector ids and column names: PostgreSQL-style identifiers, so `prefix.column` is a valid metric name. */
export const NAME_PATTERN = '^[a-z_][a-z0-9_]*$';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const Duration = Type.String({ minLength: 1, maxLength: 20, description: 'a duration: 15s, 1m, 500ms, 1m30s' });

const VariantFile = Type.Object({
  min_version: Type.Optional(Type.Integer({ minimum: 90000, description: 'first server_version_num it works for' })),
  max_version: Type.Optional(Type.Integer({ minimum: 90000, description: 'first server_version_num it no longer works for' })),
  sql: Type.String({ minLength: 1 }),
}, { additionalProperties: false });

const ColumnFile = Type.Object({
  usage: literals(COLUMN_USAGES),
  unit: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  labels: Type.Optional(Type.Array(Type.String({ pattern: NAME_PATTERN }), { uniqueItems: true })),
}, { additionalProperties: false });

/** A collector file (src/catalog/*.yaml or a user's `--catalog-dir`), as written. */
export const CollectorFile = Type.Object({
  id: Type.String({ pattern: NAME_PATTERN, maxLength: 100 }),
  description: Type.String({ minLength: 1, maxLength: 2000 }),
  prefix: Type.Optional(Type.String({ pattern: NAME_PATTERN, maxLength: 100 })),
  interval: Duration,
  timeout: Type.Optional(Duration),
  role: Type.Optional(literals(COLLECTOR_ROLES)),
  scope: Type.Optional(literals(COLLECTOR_SCOPES)),
  presets: Type.Optional(Type.Array(literals(PRESETS), { uniqueItems: true })),
  requires: Type.Optional(Type.Object({
    extension: Type.Optional(Type.String({ minLength: 1 })),
    function: Type.Optional(Type.String({ minLength: 1 })),
    setting: Type.Optional(Type.String({ minLength: 1 })),
  }, { additionalProperties: false })),
  variants: Type.Optional(Type.Array(VariantFile)),
  reader: Type.Optional(Type.String({ minLength: 1 })),
  columns: Type.Record(Type.String({ pattern: NAME_PATTERN }), ColumnFile),
}, { additionalProperties: false });
export type CollectorFile = Static<typeof CollectorFile>;

/** Used when a file leaves the field out. */
export const DEFAULTS = {
  timeout_ms: 5000,
  role: 'any',
  scope: 'instance',
} as const;
