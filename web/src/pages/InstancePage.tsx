// `/instances/:id`: the instance's dashboard, its charts over the shared time range.
import { INSTANCE_CHARTS } from '../charts.ts';
import { ChartPanel } from '../components/ChartPanel.tsx';
import { InstanceLayout } from '../components/InstanceLayout.tsx';

export function InstancePage({ id }: { id: string }) {
  return (
    <InstanceLayout id={id} tab="dashboard">
      {({ detail, from, to, onZoom, compare }) => (
        <div className="chart-grid">
          {INSTANCE_CHARTS.map((def) => (
            <ChartPanel key={def.slug} def={def} instance={detail.instance} from={from} to={to} onZoom={onZoom} compare={compare} stored={new Set(detail.metrics)} />
          ))}
        </div>
      )}
    </InstanceLayout>
  );
}
