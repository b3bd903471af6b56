import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TObject } from '@sinclair/typebox';

/** One configuration field: where it is read from, in the order flag > environment > file > default. */
export interface FieldSpec {
  /** Key in the resolved config and in the YAML file. */
  key: string;
  flag: string;
  env?: string;
  type: 'string' | 'number' | 'boolean' | 'list';
  description: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'PGFLEET_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Flags = Record<string, string | boolean | string[] | undefined>;

/**
 * Resolves a command's configuration, validates it against its TypeBox schema
 * (defaults live in the schema), reports every problem at once, and freezes it.
 */
export function resolveConfig<T>(schema: TObject, specs: FieldSpec[], flags: Flags, env: NodeJS.ProcessEnv, file?: string): T {
  const problems: string[] = [];
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      const doc = parseYaml(readFileSync(file, 'utf8')) ?? {};
      if (typeof doc !== 'object' || Array.isArray(doc)) problems.push(`${file}: expected a mapping of settings`);
      else fromFile = doc as Record<string, unknown>;
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  const known = new Set(specs.map((s) => s.key));
  const unknown = new Set(Object.keys(fromFile).filter((k) => !known.has(k) && !(k in schema.properties)));
  for (const k of unknown) problems.push(`${file}: unknown setting "${k}"`);
  const out: Record<string, unknown> = {};
  /** Where each value came from, to name it in a problem. */
  const origin = new Map<string, string>();
  for (const [k, v] of Object.entries(fromFile)) {
    if (unknown.has(k)) continue;
    out[k] = v;
    origin.set(k, `${file}: ${k}`);
  }
  for (const s of specs) {
    const raw = flags[s.flag] ?? (s.env ? env[s.env] : undefined);
    if (raw === undefined) continue;
    const where = flags[s.flag] !== undefined ? `--${s.flag}` : s.env!;
    origin.delete(s.key);
    switch (s.type) {
      case 'number': {
        const n = Number(raw);
        if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) problems.push(`${where}: expected a number, got "${String(raw)}"`);
        else out[s.key] = n;
        break;
      }
      case 'boolean': {
        const b = parseBoolean(raw);
        if (b === undefined) problems.push(`${where}: expected true or false (also yes/no, on/off, 1/0), got "${String(raw)}"`);
        else out[s.key] = b;
        break;
      }
      case 'list':
        out[s.key] = Array.isArray(raw) ? raw : String(raw).split(',').map((x) => x.trim()).filter(Boolean);
        break;
      default:
        out[s.key] = Array.isArray(raw) ? raw[raw.length - 1] : String(raw);
    }
  }
  // Defaults from the schema.
  for (const [k, prop] of Object.entries(schema.properties)) {
    if (out[k] === undefined && (prop as { default?: unknown }).default !== undefined) out[k] = structuredClone((prop as { default?: unknown }).default);
  }
  const check = TypeCompiler.Compile(schema);
  for (const e of check.Errors(out)) {
    const key = e.path.split('/')[1];
    const spec = specs.find((s) => s.key === key);
    // A union of literals says "Expected union value"; name the allowed values instead.
    const allowed = (e.schema as { anyOf?: { const?: unknown }[] }).anyOf?.map((a) => a.const).filter((c) => c !== undefined);
    const message = allowed?.length ? `expected one of ${allowed.join(', ')}, got ${JSON.stringify(e.value)}` : e.message;
    const fromFile = origin.get(key);
    const who = fromFile ?? (spec ? `--${spec.flag}${spec.env ? ` / ${spec.env}` : ''}` : key || 'config');
    problems.push(`${who}${e.path.split('/').length > 2 ? ` (${e.path})` : ''}: ${message}`);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return deepFreeze(out) as T;
}

function parseBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  const t = String(raw).trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(t)) return true;
  if (['false', 'no', 'off', '0'].includes(t)) return false;
  return undefined;
}

function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Node 20's parseArgs has no `--no-<flag>` and no value on boolean flags: turn
 * `--no-x`, `--x=false` and `--x=true` of boolean fields into values here.
 */
export function splitBooleanFlags(args: string[], specs: FieldSpec[]): { rest: string[]; booleans: Record<string, boolean> } {
  const names = new Set(specs.filter((s) => s.type === 'boolean').map((s) => s.flag));
  const booleans: Record<string, boolean> = {};
  const rest: string[] = [];
  for (const a of args) {
    const neg = /^--no-(.+)$/.exec(a);
    const val = /^--([^=]+)=(true|false|yes|no|1|0)$/.exec(a);
    if (neg && names.has(neg[1])) booleans[neg[1]] = false;
    else if (val && names.has(val[1])) booleans[val[1]] = ['true', 'yes', '1'].includes(val[2]);
    else rest.push(a);
  }
  return { rest, booleans };
}

/** Help text of a command, from its field specs. */
export function usage(command: string, summary: string, specs: FieldSpec[], schema: TObject): string {
  const lines = [`pgfleet ${command} — ${summary}`, '', 'Options (flag, environment variable, default):'];
  for (const s of specs) {
    const d = (schema.properties[s.key] as { default?: unknown })?.default;
    lines.push(`  --${s.flag.padEnd(22)} ${(s.env ?? '').padEnd(26)} ${s.description}${d !== undefined ? ` [${JSON.stringify(d)}]` : ''}`);
  }
  lines.push('  (boolean options also take --no-<option> or --<option>=false)');
  lines.push(`  --${'config'.padEnd(22)} ${''.padEnd(26)} YAML file with the same settings (keys as in the field names)`);
  return lines.join('\n');
}
