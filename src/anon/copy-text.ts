// COPY's text format, as far as masking needs it: a row per line, fields split by tabs, `\N` for
// NULL, backslash escapes (PostgreSQL docs, "COPY", File Formats). Only the fields of masked
// columns are decoded and encoded again; the others pass through as they came.
import { applyRule, type MaskContext, type Rule } from './rules.ts';

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One field of COPY text as its value (null for `\N`). */
export function decodeCopyField(raw: string): string | null {
  if (raw === '\\N') return null;
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

/** A value as one field of COPY text. */
export function encodeCopyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[\\\n\r\t]/.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t')) : s;
}

/** How many values of one column a copy remembers: repeated values (names, cities) are masked once. */
const CACHE = 50_000;
/** After this many values, a column whose values hardly repeat stops remembering them (it would only cost). */
const CACHE_PROBE = 20_000;

/**
 * A function from one COPY text line (without its newline) to the masked line, for a table whose
 * column `i` has `rules[i]` (undefined: kept). Only the masked fields are cut out and replaced; a
 * cache, which only saves work, remembers each masked column's repeated values.
 */
export function lineMasker(rules: readonly (Rule | undefined)[], ctx: MaskContext | ((column: number) => MaskContext)): (line: string) => string {
  const masked = rules.flatMap((r, i) => (r && r.rule !== 'keep' ? [i] : []));
  const ctxOf = typeof ctx === 'function' ? ctx : () => ctx;
  const cols = masked.map((i) => ({ i, rule: rules[i]!, ctx: ctxOf(i), cache: new Map<string, string>() as Map<string, string> | undefined, seen: 0, hits: 0 }));
  const maskField = (c: (typeof cols)[number], raw: string): string => {
    if (c.cache) {
      const hit = c.cache.get(raw);
      if (hit !== undefined) { c.hits++; return hit; }
    }
    const out = encodeCopyField(applyRule(c.rule, decodeCopyField(raw), c.ctx));
    if (c.cache) {
      if (++c.seen === CACHE_PROBE && c.hits < CACHE_PROBE / 10) c.cache = undefined;
      else { if (c.cache.size >= CACHE) c.cache.clear(); c.cache.set(raw, out); }
    }
    return out;
  };
  return (line) => {
    let out = '';
    let from = 0;
    let field = 0;
    let start = 0;
    for (const c of cols) {
      // Skip to the start of field c.i.
      while (field < c.i) {
        const tab = line.indexOf('\t', start);
        if (tab < 0) return out + line.slice(from);
        start = tab + 1;
        field++;
      }
      const end = line.indexOf('\t', start);
      const raw = end < 0 ? line.slice(start) : line.slice(start, end);
      out += line.slice(from, start) + maskField(c, raw);
      from = end < 0 ? line.length : end;
      if (end < 0) { field = Infinity; continue; }
    }
    return out + line.slice(from);
  };
}

/** Whether any rule changes values (a table without one is copied byte for byte). */
export const masksAnything = (rules: readonly (Rule | undefined)[]): boolean => rules.some((r) => r !== undefined && r.rule !== 'keep');

/**
 * Masks a stream of COPY text chunks, cut anywhere, into whole masked lines. Lines split on the
 * newline byte: UTF-8 never has it inside a character, and COPY escapes it inside values.
 */
export async function* maskCopyChunks(chunks: AsyncIterable<Buffer | string>, mask: (line: string) => string, onRows?: (n: number) => void): AsyncGenerator<string> {
  let pending: Buffer | undefined;
  for await (const c of chunks) {
    let buf = typeof c === 'string' ? Buffer.from(c) : c;
    if (pending) { buf = Buffer.concat([pending, buf]); pending = undefined; }
    const last = buf.lastIndexOf(0x0a);
    if (last < 0) { pending = buf; continue; }
    if (last < buf.length - 1) pending = buf.subarray(last + 1);
    const text = buf.toString('utf8', 0, last);
    const lines = text.split('\n');
    let out = '';
    for (const l of lines) out += `${mask(l)}\n`;
    onRows?.(lines.length);
    yield out;
  }
  if (pending && pending.length) {
    const l = pending.toString('utf8');
    onRows?.(1);
    yield `${mask(l)}\n`;
  }
}
