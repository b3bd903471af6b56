import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance } from './api.ts';
import { fleetGroups } from './fleet-groups.ts';

const inst = (id: string, namespace: string, cluster: string, status: Instance['status'] = 'up') =>
  ({ id, namespace, cluster, status } as Instance);

test('clusters with a problem first, then by namespace and cluster (numbers in order); members keep the API order', () => {
  const groups = fleetGroups([
    inst('b-1', 'prod', 'b'), inst('c10-1', 'prod', 'c10'), inst('c2-1', 'prod', 'c2'),
    inst('a-2', 'dev', 'a', 'down'), inst('a-1', 'dev', 'a'), inst('b-2', 'prod', 'b', 'stale'),
  ]);
  assert.deepEqual(groups.map((g) => [`${g.namespace}/${g.cluster}`, g.instances.map((i) => i.id), g.problems]), [
    ['dev/a', ['a-2', 'a-1'], 1],
    ['prod/b', ['b-1', 'b-2'], 1],
    ['prod/c2', ['c2-1'], 0],
    ['prod/c10', ['c10-1'], 0],
  ]);
});
