import type { Sql, TransactionSql } from 'postgres';
import type { HeartbeatData, InventoryData, Role } from '../protocol/index.ts';

export const DEFAULT_NAMESPACE = 'default';

/** An instance as the API shows it (domain type, not a wire type). */
export interface InstanceRow {
  id: number;
  name: string;
  namespace: string;
  cluster: string;
  node: string | null;
  node_id: number | null;
  agent: string | null;
  role: Role;
  version: string | null;
  version_num: number | null;
  up: boolean | null;
  error: string | null;
  started_at: number | null;
  last_seen: number | null;
  databases: string[];
}

/** `<cluster>-<seq>` gives the cluster; a name without a dash is its own cluster. */
export function clusterOfInstanceName(name: string): string {
  const i = name.lastIndexOf('-');
  return i > 0 ? name.slice(0, i) : name;
}

/** Namespaces, clusters, nodes, agents and instances; auto-registers what agents report. */
export class InventoryStore {
  private readonly agents = new Map<string, number>();
  private readonly instances = new Map<string, number>();
  private readonly nodes = new Map<string, number>();
  private readonly clusters = new Map<string, number>();

  constructor(private readonly sql: Sql) {}

  async agentId(name: string): Promise<number> {
    let id = this.agents.get(name);
    if (id === undefined) {
      const [r] = await this.sql<{ id: number }[]>`
        insert into agents (name) values (${name})
        on conflict (name) do update set name = excluded.name returning id`;
      id = r.id;
      this.agents.set(name, id);
    }
    return id;
  }

  async nodeId(name: string): Promise<number> {
    let id = this.nodes.get(name);
    if (id === undefined) {
      const [r] = await this.sql<{ id: number }[]>`
        insert into nodes (name) values (${name})
        on conflict (name) do update set last_seen = now() returning id`;
      id = r.id;
      this.nodes.set(name, id);
    }
    return id;
  }

  /** The instance's id, registering it (namespace default, cluster from its name) on first sight. */
  async instanceId(name: string, agentId: number): Promise<number> {
    let id = this.instances.get(name);
    if (id === undefined) {
      const clusterId = await this.clusterId(DEFAULT_NAMESPACE, clusterOfInstanceName(name));
      const [r] = await this.sql<{ id: number }[]>`
        insert into instances (name, cluster_id, agent_id) values (${name}, ${clusterId}, ${agentId})
        on conflict (name) do update set agent_id = excluded.agent_id returning id`;
      id = r.id;
      this.instances.set(name, id);
    }
    return id;
  }

  async clusterId(namespace: string, cluster: string): Promise<number> {
    const key = `${namespace}/${cluster}`;
    const have = this.clusters.get(key);
    if (have !== undefined) return have;
    const [ns] = await this.sql<{ id: number }[]>`
      insert into namespaces (name) values (${namespace})
      on conflict (name) do update set name = excluded.name returning id`;
    const [cl] = await this.sql<{ id: number }[]>`
      insert into clusters (namespace_id, name) values (${ns.id}, ${cluster})
      on conflict (namespace_id, name) do update set name = excluded.name returning id`;
    this.clusters.set(key, cl.id);
    return cl.id;
  }

  /**
   * Locks, inside the batch transaction, the agent and instance rows it is going to update
   * (applyInventories, applyHeartbeats): agents before instances, each in id order. Every batch
   * takes its row locks in this one order, so concurrent batches (two keepers, a keeper's
   * batches in flight, HTTP requests) sharing agents or instances wait for each other instead
   * of deadlocking, whatever the order of their messages. `for no key update` is what an
   * update of non-key columns takes: it does not block the foreign-key checks (events' inserts,
   * an instance's insert or change of agent), which take `for key share`. Both statements are sent
   * at once (postgres.js pipelines the queries of a transaction that are not awaited one by one),
   * and so may the updates after them: PostgreSQL runs them in the order sent, and the locks
   * are held for one round trip less each.
   */
  async lockForUpdate(tx: TransactionSql, agentIds: Iterable<number>, instanceIds: Iterable<number>): Promise<void> {
    const agents = [...new Set(agentIds)];
    const instances = [...new Set(instanceIds)];
    await Promise.all([
      agents.length > 0 ? tx`select id from agents where id = any(${agents}::int[]) order by id for no key update` : undefined,
      instances.length > 0 ? tx`select id from instances where id = any(${instances}::int[]) order by id for no key update` : undefined,
    ]);
  }

  /**
   * Applies inventory messages, the newest of each instance, inside the batch transaction, in two
   * statements. The cluster and node ids are resolved before it (`clusterId`, `nodeId`): a
   * transaction that waits for another pool connection can deadlock the pool. The rows are locked
   * by lockForUpdate first. An inventory older than the one stored changes nothing.
   */
  async applyInventories(tx: TransactionSql, list: { instanceId: number; agentId: number; clusterId: number; nodeId: number; data: InventoryData; ts: number }[]): Promise<void> {
    if (list.length === 0) return;
    const col = <T>(f: (e: (typeof list)[number]) => T) => list.map(f);
    const instances = tx`
      update instances i set cluster_id = u.cluster_id, node_id = u.node_id, agent_id = u.agent_id, role = u.role,
        version = nullif(u.version, ''), version_num = nullif(u.version_num, 0), up = u.up, error = u.error,
        started_at = u.started_at, system_identifier = u.system_identifier,
        databases = array(select jsonb_array_elements_text(u.databases::jsonb)),
        inventory_at = u.ts, last_seen = greatest(coalesce(i.last_seen, 0), u.ts)
      from unnest(${col((e) => e.instanceId)}::int[], ${col((e) => e.clusterId)}::int[], ${col((e) => e.nodeId)}::int[], ${col((e) => e.agentId)}::int[],
                  ${col((e) => e.data.role)}::text[], ${col((e) => e.data.version)}::text[], ${col((e) => e.data.version_num)}::int[], ${col((e) => (e.data.up ? 't' : 'f'))}::text[]::boolean[],
                  ${col((e) => e.data.error ?? null)}::text[], ${col((e) => (e.data.started_at === undefined ? null : Math.round(e.data.started_at)))}::bigint[],
                  ${col((e) => e.data.system_identifier ?? null)}::text[], ${col((e) => JSON.stringify(e.data.databases ?? []))}::text[], ${col((e) => e.ts)}::bigint[])
        u(id, cluster_id, node_id, agent_id, role, version, version_num, up, error, started_at, system_identifier, databases, ts)
      where i.id = u.id and coalesce(i.inventory_at, 0) <= u.ts`;
    // An agent with several instances: the node of its newest inventory.
    const nodeOfAgent = new Map<number, { nodeId: number; ts: number }>();
    for (const e of list) { const had = nodeOfAgent.get(e.agentId); if (!had || had.ts <= e.ts) nodeOfAgent.set(e.agentId, { nodeId: e.nodeId, ts: e.ts }); }
    const agents = tx`update agents a set node_id = u.n from unnest(${[...nodeOfAgent.keys()]}::int[], ${[...nodeOfAgent.values()].map((v) => v.nodeId)}::int[]) u(id, n) where a.id = u.id`;
    // Both statements are sent before either is awaited, so a heartbeat update sent after this
    // call (in the same pipeline) still runs after them and its node wins, as it did when each was awaited.
    await Promise.all([instances, agents]);
  }

  /** Applies heartbeats, one per agent, inside the batch transaction (rows locked by lockForUpdate); each `nodeId` resolved before it. */
  async applyHeartbeats(tx: TransactionSql, beats: { agentId: number; nodeId: number; data: HeartbeatData }[]): Promise<void> {
    if (beats.length === 0) return;
    await tx`
      update agents a set heartbeat = u.h::jsonb, version = u.v, node_id = u.n
      from unnest(${beats.map((b) => b.agentId)}::int[], ${beats.map((b) => JSON.stringify(b.data))}::text[],
                  ${beats.map((b) => b.data.agent_version)}::text[], ${beats.map((b) => b.nodeId)}::int[]) u(id, h, v, n)
      where a.id = u.id`;
  }

  /** Marks instances and agents as seen, in the batch transaction. */
  async touch(sql: Sql | TransactionSql, instanceSeen: Map<number, number>, agentSeen: Map<number, number>): Promise<void> {
    // Rows in id order, so two keepers touching overlapping rows take their locks in the same order.
    const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
    if (instanceSeen.size > 0) {
      const list = sorted(instanceSeen);
      await sql`
        update instances i set last_seen = greatest(coalesce(i.last_seen, 0), u.ts)
        from (select * from unnest(${list.map((e) => e[0])}::int[], ${list.map((e) => e[1])}::bigint[]) u(id, ts) order by id) u
        where i.id = u.id`;
    }
    if (agentSeen.size > 0) {
      const list = sorted(agentSeen);
      await sql`
        update agents a set last_seen = now(), last_seq = greatest(a.last_seq, u.seq)
        from (select * from unnest(${list.map((e) => e[0])}::int[], ${list.map((e) => e[1])}::bigint[]) u(id, seq) order by id) u
        where a.id = u.id`;
    }
  }

  async listInstances(): Promise<InstanceRow[]> {
    return (await this.sql`
      select i.id, i.name, ns.name as namespace, c.name as cluster, n.name as node, i.node_id, a.name as agent,
        i.role, i.version, i.version_num, i.up, i.error, i.started_at, i.last_seen, i.databases
      from instances i join clusters c on c.id = i.cluster_id join namespaces ns on ns.id = c.namespace_id
        left join nodes n on n.id = i.node_id left join agents a on a.id = i.agent_id
      order by ns.name, c.name, i.name`).map(toInstanceRow);
  }

  /** Each instance's namespace, agent and node: of the instances named, or of all. */
  async instanceOwners(names?: string[]): Promise<{ name: string; namespace: string; agent: string | null; node: string | null }[]> {
    return this.sql<{ name: string; namespace: string; agent: string | null; node: string | null }[]>`
      select i.name, ns.name as namespace, a.name as agent, n.name as node
      from instances i join clusters c on c.id = i.cluster_id join namespaces ns on ns.id = c.namespace_id
        left join agents a on a.id = i.agent_id left join nodes n on n.id = i.node_id
      where ${names ?? null}::text[] is null or i.name = any(${names ?? null}::text[])`;
  }

  async getInstance(name: string): Promise<InstanceRow | undefined> {
    const rows = await this.sql`
      select i.id, i.name, ns.name as namespace, c.name as cluster, n.name as node, i.node_id, a.name as agent,
        i.role, i.version, i.version_num, i.up, i.error, i.started_at, i.last_seen, i.databases
      from instances i join clusters c on c.id = i.cluster_id join namespaces ns on ns.id = c.namespace_id
        left join nodes n on n.id = i.node_id left join agents a on a.id = i.agent_id
      where i.name = ${name}`;
    return rows.length ? toInstanceRow(rows[0]) : undefined;
  }
}

function toInstanceRow(r: Record<string, unknown>): InstanceRow {
  return {
    ...(r as unknown as InstanceRow),
    started_at: r.started_at == null ? null : Number(r.started_at),
    last_seen: r.last_seen == null ? null : Number(r.last_seen),
  };
}
