import { FormatRegistry, Type, type StringOptions, type TSchema } from '@sinclair/typebox';

/**
 * What the store can hold, as schema limits: a value the schemas accept is never
 * refused by PostgreSQL afterwards. The schemas use these for every field that
 * reaches a column.
 */

/** Largest value of a PostgreSQL `int` (int4) column. */
export const INT4_MAX = 2_147_483_647;

/** Largest time a JavaScript Date holds, in ms since the epoch (also the envelope's `ts` limit). */
export const MAX_TIME_MS = 8.64e15;

/**
 * A string PostgreSQL can store as `text` or inside `jsonb`: no U+0000 (text cannot
 * hold it, jsonb refuses `\u0000`) and no lone UTF-16 surrogate (it has no UTF-8 form:
 * jsonb refuses it, and a text column would get U+FFFD instead). A negative lookahead
 * scanned once, so a long string costs a few ns per character and a short one nothing
 * measurable; TypeBox compiles the pattern once.
 */
const BAD_CHAR = '\\u0000|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
export const TEXT_PATTERN = `^(?![\\s\\S]*?(?:${BAD_CHAR}))`;

const BAD_CHARS = new RegExp(BAD_CHAR, 'g');

/** `text` with each U+0000 and lone surrogate replaced by U+FFFD, for text that must be stored whatever it holds (a dead letter's reason). */
export function toPgText(text: string): string {
  return text.replace(BAD_CHARS, '\ufffd');
}

/** A string that fits a `text` column (see TEXT_PATTERN). */
export function PgText(options: Omit<StringOptions, 'pattern'> = {}) {
  return Type.String({ ...options, pattern: TEXT_PATTERN });
}

/**
 * The key schema of a record whose keys are stored (jsonb): TEXT_PATTERN and at most
 * `maxLength` UTF-16 units. A record key's own maxLength is not checked by TypeBox, so the
 * length is in the pattern; the record needs `additionalProperties: false`, or a key that
 * does not match the pattern is accepted unchecked.
 */
export function PgTextKey(maxLength?: number) {
  return Type.String({ pattern: maxLength === undefined ? TEXT_PATTERN : `${TEXT_PATTERN}[\\s\\S]{0,${maxLength}}$` });
}

/**
 * A signed 64-bit integer (`bigint` column) as canonical decimal text: no leading zeros, no `-0`.
 * A format rather than a pattern: the range as a regular expression is 19 alternatives long, and
 * a refusal would print it. TypeBox's format registry is the process's; the check is pure.
 */
const INT64_TEXT = /^(?:0|-?[1-9][0-9]{0,18})$/;
FormatRegistry.Set('int64', (s) => {
  if (!INT64_TEXT.test(s)) return false;
  const negative = s.charCodeAt(0) === 45;
  // Up to 18 digits always fit; 19 digits of equal length compare as text as they do as numbers.
  if (s.length - (negative ? 1 : 0) < 19) return true;
  return negative ? s <= '-9223372036854775808' : s <= '9223372036854775807';
});

/** A signed 64-bit integer as canonical decimal text (format `int64`), e.g. pg_stat_statements' queryid. */
export function Int64Text() {
  return Type.String({ format: 'int64' });
}

/** Levels of nesting the free-form JSON check covers (see JsonbObject). */
const JSON_LEVELS = 31;

/**
 * A free-form object stored as jsonb: every key and string passes TEXT_PATTERN, numbers are
 * finite, and nothing but JSON values (no MessagePack bin). The levels are unrolled (a
 * recursive type would recurse as deep as the input goes, and overflow the stack before the
 * codec's depth check runs, which comes after the schema's), each a definition of one module
 * referring to the next (nested inline, the levels would be one tree of 2^31 schemas to TypeBox's
 * schema guard), so the check compiles into one function per level. Below JSON_LEVELS anything is accepted
 * here and refused by the codec's depth check with its own message: an event's details sit at
 * depth 1 of `data`, so 31 levels reach past MAX_DEPTH (32).
 */
export function JsonbObject() {
  const defs: Record<string, TSchema> = { json0: Type.Unknown() };
  for (let level = 1; level <= JSON_LEVELS; level++) {
    const below = Type.Ref(`json${level - 1}`);
    defs[`json${level}`] = Type.Union([
      Type.Null(), Type.Boolean(), Type.Number(), PgText(),
      Type.Array(below), Type.Record(PgTextKey(), below, { additionalProperties: false }),
    ]);
  }
  defs.object = Type.Record(PgTextKey(), Type.Ref(`json${JSON_LEVELS}`), { additionalProperties: false });
  return Type.Module(defs).Import('object');
}

/**
 * `text` cut to at most `max` UTF-16 units without splitting a surrogate pair (a lone
 * surrogate is refused by TEXT_PATTERN).
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
