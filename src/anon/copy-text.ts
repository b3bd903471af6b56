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

/**
 * A function from one COPY text line (without its newline) to the masked line, for a table whose
 * column `i` has `rules[i]` (undefined: kept). Deterministic: a cache only saves work.
 */
export function lineMasker(rules: readonly (Rule | undefined)[], ctx: MaskContext | ((column: number) => MaskContext)): (line: string) => string {
  const masked = rules.flatMap((r, i) => (r && r.rule !== 'keep' ? [i] : []));
  const caches = rules.map(() => new Map<string, string>());
  const ctxOf = typeof ctx === 'function' ? ctx : () => ctx;
  return (line) => {
    const f = line.split('\t');
    for (const i of masked) {
      const raw = f[i];
      if (raw === undefined) continue;
      const cache = caches[i];
      let out = cache.get(raw);
      if (out === undefined) {
        out = encodeCopyField(applyRule(rules[i]!, decodeCopyField(raw), ctxOf(i)));
        if (cache.size >= CACHE) cache.clear();
        cache.set(raw, out);
      }
      f[i] = out;
    }
    return f.join('\t');
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
