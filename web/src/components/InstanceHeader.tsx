import type { Instance } from '../api.ts';
import { formatAgo, formatUptime, shortVersion } from '../format.ts';
import { clusterPath, Link } from '../router.tsx';
import { RoleTag, StatusBadge } from './StatusBadge.tsx';

/** Name, role, status, version, uptime and node of an instance. */
export function InstanceHeader({ inst, now }: { inst: Instance; now: number }) {
  return (
    <div className="instance-header" data-testid="instance-header" data-instance={inst.id}>
      <h1>{inst.id}</h1>
      <RoleTag role={inst.role} />
      <StatusBadge status={inst.status} />
      <dl>
        <div><dt>version</dt><dd title={inst.version ?? undefined}>{shortVersion(inst.version ?? '', inst.version_num ?? 0)}</dd></div>
        <div><dt>uptime</dt><dd>{formatUptime(inst.started_at, now)}</dd></div>
        <div><dt>node</dt><dd>{inst.node || '—'}</dd></div>
        <div><dt>cluster</dt><dd>{inst.namespace} / <Link to={clusterPath(inst.namespace, inst.cluster)}>{inst.cluster}</Link></dd></div>
        <div><dt>last seen</dt><dd>{formatAgo(inst.last_seen, now)}</dd></div>
      </dl>
      {inst.error && <div className="instance-error" title={inst.error}>{inst.error}</div>}
    </div>
  );
}
