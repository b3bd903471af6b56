import type { TransactionSql } from 'postgres';
import type { Envelope } from '../../protocol/index.ts';
import type { ActivityMessage, SampleColumns, StatementsMessage, Store, SeriesKey } from '../../store/index.ts';
import type { Accepted, Receiver } from './receiver.ts';

/** Writes every message type into the store: samples by COPY, inventory, heartbeats, events, statements, activity, last-seen times. */
export class StoreReceiver implements Receiver {
  readonly name = 'store';
  /** Series ids resolved in `prepare`, per metrics envelope. */
  private readonly prepared = new WeakMap<Envelope, number[]>();
  /** Cluster and node ids resolved in `prepare`, per inventory or heartbeat envelope. */
  private readonly placed = new WeakMap<Envelope, { clusterId: number; nodeId: number }>();

  constructor(private readonly store: Store) {}

  async prepare(batch: Accepted[]): Promise<void> {
    // Ids the transaction needs are resolved here, on pool connections, before it starts.
    for (const { env } of batch) {
      if (env.type === 'inventory') {
        this.placed.set(env, { clusterId: await this.store.inventory.clusterId(env.data.namespace, env.data.cluster), nodeId: await this.store.inventory.nodeId(env.data.node) });
      } else if (env.type === 'heartbeat') {
        this.placed.set(env, { clusterId: 0, nodeId: await this.store.inventory.nodeId(env.data.node) });
      }
    }
    const timed = batch.filter((a) => a.env.type === 'statements' || a.env.type === 'activity');
    if (timed.length > 0) await this.store.timeseries.ensurePartitions(Math.min(...timed.map((a) => a.env.ts)), Math.max(...timed.map((a) => a.env.ts)) + 1);
    const metrics = batch.filter((a) => a.env.type === 'metrics');
    if (metrics.length === 0) return;
    const infos = new Map<string, { name: string; kind: 'gauge' | 'counter'; unit?: string; interval_ms?: number }>();
    let minTs = Infinity;
    let maxTs = -Infinity;
    for (const { env } of metrics) {
      if (env.type !== 'metrics') continue;
      minTs = Math.min(minTs, env.ts);
      maxTs = Math.max(maxTs, env.ts);
      for (const f of env.data.metrics) infos.set(f.name, { name: f.name, kind: f.kind, unit: f.unit, interval_ms: env.data.interval_ms });
    }
    const byName = await this.store.timeseries.ensureMetrics([...infos.values()]);
    await this.store.timeseries.ensurePartitions(minTs, maxTs + 1);
    const keys: SeriesKey[] = [];
    const owners: Envelope[] = [];
    const nodeOf = new Map<string, number>();
    for (const a of metrics) {
      if (a.env.type !== 'metrics') continue;
      let owner: { kind: 'i' | 'n'; id: number };
      if (a.instanceId !== undefined) owner = { kind: 'i', id: a.instanceId };
      else {
        // Node-level data: the agent's node, named by the agent.
        let id = nodeOf.get(a.env.agent);
        if (id === undefined) { id = await this.store.inventory.nodeId(a.env.data.node ?? a.env.agent); nodeOf.set(a.env.agent, id); }
        owner = { kind: 'n', id };
      }
      for (const f of a.env.data.metrics) {
        const metricId = byName.get(f.name)!.id;
        for (const p of f.points) {
          keys.push({ ownerKind: owner.kind, ownerId: owner.id, metricId, labels: p.l ?? {} });
          owners.push(a.env);
        }
      }
    }
    const ids = await this.store.timeseries.resolveSeries(keys);
    for (let i = 0; i < ids.length; i++) {
      let list = this.prepared.get(owners[i]);
      if (!list) { list = []; this.prepared.set(owners[i], list); }
      list.push(ids[i]);
    }
  }

  async write(tx: TransactionSql, batch: Accepted[]): Promise<void> {
    const rows: SampleColumns = { seriesId: [], ts: [], value: [] };
    const statements: StatementsMessage[] = [];
    const activity: ActivityMessage[] = [];
    const instanceSeen = new Map<number, number>();
    const agentSeq = new Map<number, number>();
    for (const a of batch) {
      const { env } = a;
      agentSeq.set(a.agentId, Math.max(agentSeq.get(a.agentId) ?? 0, env.seq));
      if (a.instanceId !== undefined) instanceSeen.set(a.instanceId, Math.max(instanceSeen.get(a.instanceId) ?? 0, env.ts));
      switch (env.type) {
        case 'metrics': {
          const ids = this.prepared.get(env) ?? [];
          let i = 0;
          for (const f of env.data.metrics) {
            for (const p of f.points) {
              rows.seriesId.push(ids[i++]);
              rows.ts.push(env.ts);
              rows.value.push(p.v);
            }
          }
          break;
        }
        case 'inventory':
          if (a.instanceId !== undefined) await this.store.inventory.applyInventory(tx, { instanceId: a.instanceId, agentId: a.agentId, ...this.placed.get(env)! }, env.data, env.ts);
          break;
        case 'heartbeat':
          await this.store.inventory.applyHeartbeat(tx, a.agentId, this.placed.get(env)!.nodeId, env.data);
          break;
        case 'event':
          await tx`insert into events (ts, agent_id, instance_id, kind, severity, message, details)
            values (${env.ts}, ${a.agentId}, ${a.instanceId ?? null}, ${env.data.kind}, ${env.data.severity}, ${env.data.message},
                    ${env.data.details ? tx.json(env.data.details as never) : null})`;
          break;
        case 'statements':
          // Keeper.check refuses statements and activity without an instance.
          statements.push({ instanceId: a.instanceId!, ts: env.ts, data: env.data });
          break;
        case 'activity':
          activity.push({ instanceId: a.instanceId!, ts: env.ts, data: env.data });
          break;
      }
    }
    await this.store.statements.writeStatements(tx, statements);
    await this.store.statements.writeActivity(tx, activity);
    await this.store.timeseries.writeSamples(tx, rows);
    await this.store.inventory.touch(tx, instanceSeen, agentSeq);
  }
}
