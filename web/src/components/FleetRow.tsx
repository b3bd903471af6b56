import type { Instance } from '../api.ts';
import { formatAgo, formatNumber, formatSeconds, shortVersion } from '../format.ts';
import { instancePath, Link } from '../router.tsx';
import { Sparkline } from './Sparkline.tsx';
import { RoleTag, StatusBadge } from './StatusBadge.tsx';

/** The data directory's filesystem this full is shown as a warning. */
const DISK_WARN = 0.9;
const pct = (v: number): string => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;

function num(v: number | null | undefined, fmt: (v: number) => string): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : fmt(v);
}

/** One instance of the fleet table. */
export function FleetRow({ inst, now }: { inst: Instance; now: number }) {
  const key = inst.key ?? { tps: null, connections: null, cache_hit_ratio: null, replication_lag_s: null };
  return (
    <tr data-testid="fleet-row" data-instance={inst.id} className={`status-${inst.status}`}>
      <td>
        <Link to={instancePath(inst.id)} className="inst-link">{inst.id}</Link>
      </td>
      <td className="muted">{inst.namespace} / {inst.cluster}</td>
      <td><RoleTag role={inst.role} /></td>
      <td title={inst.error ?? undefined}><StatusBadge status={inst.status} /></td>
      <td title={inst.version ?? undefined}>{shortVersion(inst.version ?? '', inst.version_num ?? 0)}</td>
      <td className="muted" title={inst.last_seen ? new Date(inst.last_seen).toLocaleString() : ''}>
        {formatAgo(inst.last_seen, now)}
      </td>
      <td className="num">
        <span className="metric">{num(key.tps, formatNumber)}</span>
        <Sparkline points={inst.spark?.tps} />
      </td>
      <td className="num">
        <span className="metric">{num(key.connections, (v) => formatNumber(Math.round(v * 10) / 10))}</span>
        <Sparkline points={inst.spark?.connections} />
      </td>
      <td className="num">{num(key.cache_hit_ratio, (v) => `${(v * 100).toFixed(1)} %`)}</td>
      <td className="num">{num(key.replication_lag_s, formatSeconds)}</td>
      <td className="num" data-col="cpu">{num(key.cpu_busy_ratio, pct)}</td>
      <td className="num" data-col="disk"><span className={(key.disk_used_ratio ?? 0) >= DISK_WARN ? 'warn-text' : undefined}>{num(key.disk_used_ratio, pct)}</span></td>
    </tr>
  );
}
