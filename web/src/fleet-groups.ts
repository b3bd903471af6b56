// The fleet by namespace and cluster, problems first: a cluster with an instance that is not up
// comes before the healthy ones, and inside a cluster the API's order (problems first) holds.
import type { Instance } from './api.ts';

export interface FleetGroup {
  namespace: string;
  cluster: string;
  instances: Instance[];
  /** Instances not up. */
  problems: number;
}

export function fleetGroups(instances: Instance[]): FleetGroup[] {
  const groups = new Map<string, FleetGroup>();
  for (const inst of instances) {
    const key = JSON.stringify([inst.namespace, inst.cluster]);
    let g = groups.get(key);
    if (!g) { g = { namespace: inst.namespace, cluster: inst.cluster, instances: [], problems: 0 }; groups.set(key, g); }
    g.instances.push(inst);
    if (inst.status !== 'up') g.problems++;
  }
  return [...groups.values()].sort((a, b) => (b.problems > 0 ? 1 : 0) - (a.problems > 0 ? 1 : 0)
    || a.namespace.localeCompare(b.namespace) || a.cluster.localeCompare(b.cluster, undefined, { numeric: true }));
}
