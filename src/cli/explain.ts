import { Type, type Static } from '@sinclair/typebox';
import { readFileSync } from 'node:fs';
import { analyzePlan, ExplainError, explainReport, parseExplain, planHints, type AnalyzedNode } from '../explain/index.ts';
import type { FieldSpec } from './config.ts';

export const ExplainConfig = Type.Object({
  file: Type.String({ default: '-' }),
  json: Type.Boolean({ default: false }),
}, { additionalProperties: false });
export type ExplainConfig = Static<typeof ExplainConfig>;

export const EXPLAIN_FIELDS: FieldSpec[] = [
  { key: 'file', flag: 'file', type: 'string', description: 'the plan (EXPLAIN output, TEXT or JSON, psql framing allowed); - or nothing reads standard input; also the first argument' },
  { key: 'json', flag: 'json', type: 'boolean', description: 'print the analysis as JSON' },
];

/** `pgfleet explain FILE [--json]`: the plan's time per node and its hints; exit 1 with the reason on unreadable input. */
export async function runExplain(cfg: ExplainConfig): Promise<number> {
  let input: string;
  try {
    input = readFileSync(cfg.file === '-' ? 0 : cfg.file, 'utf8');
  } catch (err) {
    process.stderr.write(`pgfleet explain: cannot read ${cfg.file === '-' ? 'standard input' : cfg.file}: ${(err as Error).message}\n`);
    return 1;
  }
  let analysis;
  try {
    analysis = analyzePlan(parseExplain(input));
  } catch (err) {
    if (!(err instanceof ExplainError)) throw err;
    process.stderr.write(`pgfleet explain: ${cfg.file === '-' ? 'standard input' : cfg.file} is not a plan EXPLAIN printed: ${err.message}\n`);
    return 1;
  }
  const hints = planHints(analysis);
  const { plan } = analysis;
  if (cfg.json) {
    process.stdout.write(`${JSON.stringify(explainReport(analysis, hints), null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  const total = analysis.root.inclusiveMs;
  out.push(`planning ${plan.planningTime ?? '—'} ms, execution ${plan.executionTime ?? '—'} ms, ${analysis.nodes.length} nodes`);
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  const walk = (a: AnalyzedNode, depth: number) => {
    const share = total && a.exclusiveMs !== null ? ` ${((a.exclusiveMs / total) * 100).toFixed(1).padStart(5)} %` : '';
    const time = a.exclusiveMs !== null ? `${a.exclusiveMs.toFixed(3).padStart(10)} ms${share}` : '      (no timing)';
    const n = a.node;
    const target = n.relationName ?? n.cteName ?? n.functionName ?? n.indexName;
    const rows = n.actualRows !== undefined ? `  rows ${n.actualRows}/${n.planRows ?? '?'} planned × ${n.actualLoops} loops` : '';
    const bounds = a.uncertain && a.exclusiveBounds ? `  (itself between ${a.exclusiveBounds[0].toFixed(3)} and ${a.exclusiveBounds[1].toFixed(3)} ms)` : '';
    out.push(`${time}  ${'  '.repeat(depth)}${n.subplanName ? `${n.subplanName}: ` : ''}${n.label}${target ? ` on ${target}` : ''}${rows}${bounds}`);
    a.children.forEach((c) => walk(c, depth + 1));
  };
  walk(analysis.root, 0);
  const report = explainReport(analysis, hints);
  if (report.byTable.length > 0) {
    out.push('', 'by table (time in the nodes that read it, blocks hit/read):');
    for (const g of report.byTable) out.push(`${g.exclusiveTime === null ? '         —' : `${g.exclusiveTime.toFixed(3).padStart(10)} ms`}  ${g.key}  ${g.nodes} node${g.nodes === 1 ? '' : 's'}, ${g.sharedHit}/${g.sharedRead} blocks`);
  }
  out.push('', hints.length ? `${hints.length} hint${hints.length === 1 ? '' : 's'}, largest saving first:` : 'no hints');
  for (const h of hints) out.push(`- [${h.code}] ${h.message}${h.savingMs ? ` (could save about ${h.savingMs} ms)` : ''}\n    ${h.advice}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
