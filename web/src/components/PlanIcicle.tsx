// Icicle graph of a plan: each node a block as wide as its time with children, its children under it;
// the shade says how much of that time the node spent itself.
import type { ExplainNode } from '../api.ts';
import { planMs } from '../plan-format.ts';

export function PlanIcicle({ root, total }: { root: ExplainNode; total: number }) {
  const rows: { node: ExplainNode; left: number; width: number }[][] = [];
  const place = (n: ExplainNode, depth: number, left: number) => {
    const width = total > 0 ? (n.inclusiveTime ?? 0) / total : 0;
    (rows[depth] ??= []).push({ node: n, left, width });
    let at = left;
    for (const c of n.children) {
      // A CTE's time runs inside its scans: drawn with them, it would be counted twice.
      if (c.subplanName?.startsWith('CTE ')) continue;
      place(c, depth + 1, at);
      at += total > 0 ? (c.inclusiveTime ?? 0) / total : 0;
    }
  };
  place(root, 0, 0);
  return (
    <div className="icicle" data-testid="icicle">
      {rows.map((row, d) => (
        <div key={d} className="icicle-row">
          {row.filter((b) => b.width > 0.002).map((b, i) => (
            <div key={i} className="icicle-block" data-testid="icicle-block" style={{ left: `${b.left * 100}%`, width: `${b.width * 100}%`,
              opacity: 0.35 + 0.65 * Math.min(1, (b.node.exclusiveTime ?? 0) / Math.max(total * 0.2, 1e-9)) }}
              title={`${b.node.label}${b.node.relationName ? ` on ${b.node.relationName}` : ''}: ${planMs(b.node.inclusiveTime)} in all, ${planMs(b.node.exclusiveTime)} itself`}>
              <span>{b.node.label}{b.node.relationName ? ` ${b.node.relationName}` : ''}</span>
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
