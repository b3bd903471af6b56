// Masking rules: what a dictionary maps a column to, and what each does to a value. Pure: the copy
// applies them row by row; pre-flight checks them against the target columns.
import { Type, type Static } from '@sinclair/typebox';
import { fake, FAKE_KINDS } from './fakes.ts';
import { LOCALES } from './dictionaries.ts';
import { keyedHash, streamFor } from './keyed.ts';

const Kind = Type.Union(FAKE_KINDS.map((k) => Type.Literal(k)));
const Locale = Type.Union(LOCALES.map((l) => Type.Literal(l)));

/** One rule (a TypeBox schema: the dictionary file is validated with it, and its errors name the path). */
export const RuleSchema = Type.Recursive((Self) => Type.Union([
  Type.Object({ rule: Type.Literal('keep') }, { additionalProperties: false }),
  Type.Object({ rule: Type.Literal('null') }, { additionalProperties: false }),
  Type.Object({ rule: Type.Literal('constant'), value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]) }, { additionalProperties: false }),
  /** HMAC of the value, hex, cut to `length`. */
  Type.Object({ rule: Type.Literal('hash'), length: Type.Optional(Type.Integer({ minimum: 4, maximum: 64 })) }, { additionalProperties: false }),
  /** Same shape, other characters: digits stay digits, letters letters, the rest is kept (account numbers, codes). */
  Type.Object({ rule: Type.Literal('pseudonym') }, { additionalProperties: false }),
  Type.Object({ rule: Type.Literal('fake'), kind: Kind, locale: Type.Optional(Locale) }, { additionalProperties: false }),
  Type.Object({
    rule: Type.Literal('partial'), keepFirst: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })), keepLast: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    char: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
  }, { additionalProperties: false }),
  /** e-mail: the first character of the local part kept, the rest masked, the domain kept. */
  Type.Object({ rule: Type.Literal('email_local'), char: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })) }, { additionalProperties: false }),
  /** Numbers ± percent, dates ± days; the same value always moves the same way under the key. */
  Type.Object({ rule: Type.Literal('noise'), percent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })) }, { additionalProperties: false }),
  /** Numbers down to a multiple of `step`; dates to the start of their year, month or day. */
  Type.Object({ rule: Type.Literal('generalize'), step: Type.Optional(Type.Number({ exclusiveMinimum: 0 })), to: Type.Optional(Type.Union([Type.Literal('year'), Type.Literal('month'), Type.Literal('day')])) }, { additionalProperties: false }),
  /**
   * Free text: e-mail addresses, numbers and capitalised words (names, places) get keyed letters
   * and digits of the same shape; the rest of the text is kept, and its length never changes.
   */
  Type.Object({ rule: Type.Literal('scrub') }, { additionalProperties: false }),
  /** Inside JSON: a rule per path ($.a.b, $.items[*].email). */
  Type.Object({ rule: Type.Literal('json'), paths: Type.Record(Type.String({ pattern: '^\\$(\\.[A-Za-z_][A-Za-z0-9_]*|\\[\\*\\]|\\[\\d+\\])*$' }), Self, { additionalProperties: false, minProperties: 1 }) }, { additionalProperties: false }),
]));
export type Rule = Static<typeof RuleSchema>;

/** What a rule needs besides the value. */
export interface MaskContext {
  key: Buffer | string;
  /** The target column's character limit (varchar(n)): what is longer is an error, found by pre-flight. */
  maxLength?: number;
}

export class MaskError extends Error {
  override name = 'MaskError';
  readonly code = 'PGFLEET_ANON_MASK';
}

const DAY = 86_400_000;

/** A date or timestamp text as ms; one without a zone (date, timestamp) is read as UTC, whatever the process's zone. */
function timeOf(v: string): number {
  const s = v.trim();
  return Date.parse(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? `${s.replace(' ', 'T')}Z` : s);
}

/** Masks one value. Null stays null (but for `constant`); the result keeps the value's type where the rule allows. */
export function applyRule(rule: Rule, value: unknown, ctx: MaskContext): unknown {
  if (rule.rule === 'constant') return rule.value;
  if (value === null || value === undefined || rule.rule === 'keep') return value ?? null;
  switch (rule.rule) {
    case 'null': return null;
    case 'hash': return keyedHash(ctx.key, String(value)).slice(0, rule.length ?? 32);
    case 'pseudonym': return pseudonym(String(value), ctx.key);
    case 'fake': return fake(rule.kind, String(value), ctx.key, rule.locale);
    case 'partial': return partial(String(value), rule.keepFirst ?? 0, rule.keepLast ?? 0, rule.char ?? '*');
    case 'email_local': {
      const s = String(value);
      const at = s.lastIndexOf('@');
      if (at <= 0) return partial(s, 1, 0, rule.char ?? '*');
      return `${s[0]}${(rule.char ?? '*').repeat(Math.max(1, at - 1))}${s.slice(at)}`;
    }
    case 'noise': return noise(value, rule.percent, rule.days, ctx.key);
    case 'generalize': return generalize(value, rule.step, rule.to);
    case 'scrub': return scrub(String(value), ctx.key);
    case 'json': return maskJson(value, rule.paths, ctx);
  }
}

const SCRUB = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\d+|\p{Lu}\p{L}+/gu;

/** Free text with what can identify someone replaced, shape for shape: e-mails, numbers, capitalised words. */
export function scrub(s: string, key: Buffer | string): string {
  return s.replace(SCRUB, (m) => pseudonym(m, key));
}

/** Digits to digits, letters to letters (case kept), the rest kept; keyed and deterministic. */
export function pseudonym(s: string, key: Buffer | string): string {
  const r = streamFor(key, 'pseudonym', s);
  let out = '';
  for (const ch of s) {
    if (ch >= '0' && ch <= '9') out += String(r.below(10));
    else if (ch >= 'a' && ch <= 'z') out += String.fromCharCode(97 + r.below(26));
    else if (ch >= 'A' && ch <= 'Z') out += String.fromCharCode(65 + r.below(26));
    else if (/\p{L}/u.test(ch)) out += ch === ch.toLowerCase() ? String.fromCharCode(0x430 + r.below(32)) : String.fromCharCode(0x410 + r.below(32));
    else out += ch;
  }
  return out;
}

export function partial(s: string, keepFirst: number, keepLast: number, char: string): string {
  const cs = [...s];
  if (keepFirst + keepLast >= cs.length) return char.repeat(cs.length);
  return cs.slice(0, keepFirst).join('') + char.repeat(cs.length - keepFirst - keepLast) + (keepLast ? cs.slice(-keepLast).join('') : '');
}

function noise(value: unknown, percent: number | undefined, days: number | undefined, key: Buffer | string): unknown {
  const r = streamFor(key, 'noise', value instanceof Date ? value.toISOString() : String(value));
  const shift = r.unit() * 2 - 1;
  if (typeof value === 'number' || typeof value === 'bigint' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
    const n = Number(value);
    const moved = n * (1 + shift * (percent ?? 10) / 100);
    // Integers stay integers.
    const isInt = typeof value === 'bigint' || Number.isInteger(n) && !(typeof value === 'string' && value.includes('.'));
    const out = isInt ? Math.round(moved) : Number(moved.toFixed(6));
    return typeof value === 'string' ? String(out) : typeof value === 'bigint' ? BigInt(out) : out;
  }
  const t = value instanceof Date ? value.getTime() : typeof value === 'string' ? timeOf(value) : NaN;
  if (Number.isNaN(t)) throw new MaskError(`noise: ${typeof value} is neither a number nor a date`);
  const moved = new Date(t + Math.round(shift * (days ?? 30)) * DAY);
  if (value instanceof Date) return moved;
  // A date string keeps its form: a date stays a date, a timestamp a timestamp.
  return /^\d{4}-\d{2}-\d{2}$/.test(value as string) ? moved.toISOString().slice(0, 10) : moved.toISOString();
}

function generalize(value: unknown, step: number | undefined, to: 'year' | 'month' | 'day' | undefined): unknown {
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
    const s = step ?? 10;
    const out = Math.floor(Number(value) / s) * s;
    return typeof value === 'string' ? String(out) : out;
  }
  const t = value instanceof Date ? value : typeof value === 'string' ? new Date(timeOf(value)) : undefined;
  if (!t || Number.isNaN(t.getTime())) throw new MaskError(`generalize: ${typeof value} is neither a number nor a date`);
  const d = new Date(Date.UTC(t.getUTCFullYear(), to === 'month' || to === 'day' ? t.getUTCMonth() : 0, to === 'day' ? t.getUTCDate() : 1));
  if (value instanceof Date) return d;
  return /^\d{4}-\d{2}-\d{2}$/.test(value as string) ? d.toISOString().slice(0, 10) : d.toISOString();
}

type JsonPathStep = { key: string } | { index: number } | { all: true };

const parsedPaths = new Map<string, JsonPathStep[]>();

/** A path's steps, parsed once (a copy applies the same few paths to every row). */
function parsePath(path: string): JsonPathStep[] {
  const known = parsedPaths.get(path);
  if (known) return known;
  const steps: JsonPathStep[] = [];
  for (const m of path.slice(1).matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[\*\]|\[(\d+)\]/g)) {
    if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else steps.push({ all: true });
  }
  if (parsedPaths.size < 1000) parsedPaths.set(path, steps);
  return steps;
}

/** JSON (text, or parsed jsonb) with each path's values masked; the rest untouched. */
function maskJson(value: unknown, paths: Record<string, Rule>, ctx: MaskContext): unknown {
  const text = typeof value === 'string';
  let doc: unknown;
  try { doc = text ? JSON.parse(value as string) : structuredClone(value); } catch { throw new MaskError('json: the value is not JSON'); }
  for (const [path, rule] of Object.entries(paths)) {
    const steps = parsePath(path);
    const visit = (node: unknown, i: number, set: (v: unknown) => void): void => {
      if (i === steps.length) { set(applyRule(rule, node, ctx)); return; }
      const s = steps[i];
      if ('key' in s) {
        if (node && typeof node === 'object' && !Array.isArray(node) && s.key in (node as object)) {
          const o = node as Record<string, unknown>;
          visit(o[s.key], i + 1, (v) => { o[s.key] = v; });
        }
      } else if (Array.isArray(node)) {
        const idx = 'index' in s ? [s.index] : node.map((_, k) => k);
        for (const k of idx) if (k < node.length) visit(node[k], i + 1, (v) => { node[k] = v; });
      }
    };
    visit(doc, 0, (v) => { doc = v; });
  }
  return text ? JSON.stringify(doc) : doc;
}
