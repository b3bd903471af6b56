// EXPLAIN output in, a plan and its analysis out. Pure: no I/O, no imports from the rest of pgfleet.
export * from './types.ts';
export * from './errors.ts';
export { parseJsonPlan, textLabel } from './parse-json.ts';
export { parseTextPlan, unframe, baseType } from './parse-text.ts';
export { analyzePlan, workerBusyMs, type Analysis, type AnalyzedNode } from './analyze.ts';
export { planHints, filterColumns, HINT_CODES, type Hint, type HintCode } from './hints.ts';
export { explainReport, BLOCK_BYTES, type Report, type ReportNode, type TimeGroup } from './report.ts';
export { missingChildren } from './complete.ts';
export { diffPlans, type DiffRow, type DiffSide, type DiffStatus, type PlanDiff } from './diff.ts';
import { ExplainError } from './errors.ts';
import { parseJsonPlan } from './parse-json.ts';
import { parseTextLines, unframe } from './parse-text.ts';
import type { Plan } from './types.ts';

/** Parses EXPLAIN output as pasted: JSON (bare, quoted or inside psql's framing) or TEXT. */
export function parseExplain(input: string): Plan {
  if (input.trim() === '') throw new ExplainError('PGFLEET_EXPLAIN_EMPTY', 'the input is empty');
  // Bare or quoted JSON is read as it is; anything else (psql's framing around JSON, TEXT) is unframed first.
  const trimmed = input.trim();
  const lines = /^["[{]/.test(trimmed) ? undefined : unframe(input);
  const looksJson = !lines || /^\s*[[{"]/.test(lines[0]?.text ?? '');
  if (looksJson) {
    const body = lines ? lines.map((l) => l.text).join('\n').trim() : trimmed;
    const json = body.startsWith('"') ? unquoteJson(body) : body;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (err) {
      const pos = /position (\d+)/.exec((err as Error).message);
      const at = pos ? lineColumn(json, Number(pos[1])) : undefined;
      throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `not valid JSON: ${(err as Error).message.replace(/ in JSON at position \d+.*$/, '')}`, at, { cause: err });
    }
    return parseJsonPlan(value);
  }
  return parseTextLines(lines);
}

function unquoteJson(s: string): string {
  try { const v = JSON.parse(s); return typeof v === 'string' ? v.trim() : s; } catch { return s; }
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
