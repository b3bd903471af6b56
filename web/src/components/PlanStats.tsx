// Where a plan's time went, summed by table and by node type.
import type { ExplainReport } from '../api.ts';
import { formatNumber } from '../format.ts';
import { planMs } from '../plan-format.ts';

type Group = ExplainReport['byTable'][number];

function GroupTable({ title, testid, groups }: { title: string; testid: string; groups: Group[] }) {
  return (
    <div>
      <h4>{title}</h4>
      <table className="fleet statements" data-testid={testid}>
        <thead><tr><th /><th className="num">nodes</th><th className="num">itself</th><th className="num">share</th><th className="num">hit</th><th className="num">read</th></tr></thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.key}>
              <td><code>{g.key}</code></td><td className="num">{g.nodes}</td><td className="num">{planMs(g.exclusiveTime)}</td>
              <td className="num">{g.share === null ? '' : `${(g.share * 100).toFixed(1)} %`}</td>
              <td className="num">{formatNumber(g.sharedHit)}</td><td className="num">{formatNumber(g.sharedRead)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PlanStats({ report }: { report: ExplainReport }) {
  return (
    <div className="plan-stats">
      {report.byTable.length > 0 && <GroupTable title="By table" testid="by-table" groups={report.byTable} />}
      <GroupTable title="By node type" testid="by-node-type" groups={report.byNodeType} />
    </div>
  );
}
