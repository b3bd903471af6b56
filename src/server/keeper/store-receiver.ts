import type { TransactionSql } from 'postgres';
import type { Envelope } from '../../protocol/index.ts';
import { MAX_SET_MEMBERS, type ActivityMessage, type SettingsMessage, type SeriesKey, type SeriesSet, type SetRows, type StatementsMessage, type Store } from '../../store/index.ts';
import type { MetricsData } from '../../protocol/index.ts';
import type { Accepted, Receiver } from './receiver.ts';

/** Writes every message type into the store: samples by COPY (one row per message and series set), inventory, heartbeats, events, statements, activity, settings, last-seen times. */
export class StoreReceiver implements Receiver {
  readonly name = 'store';
  /** Series set resolved in `prepare`, per metrics envelope. */
  private readonly prepared = new WeakMap<Envelope, number[]>();
  /** Per owner and collector: the shapes of its last few messages (newest first) and their sets. */
  private readonly shapes = new Map<string, { shape: number; setIds: number[] }[]>();
  /** Cluster and node ids resolved in `prepare`, per inventory or heartbeat envelope. */
  private readonly placed = new WeakMap<Envelope, { clusterId: number; nodeId: number }>();

  private instanceSeen = new Map<number, number>();
  private agentSeq = new Map<number, number>();
  private touchedAt = 0;
  private touchTimer?: NodeJS.Timeout;
  private touching = false;

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
    let minTs = Infinity;
    let maxTs = -Infinity;
    for (const { env } of batch) {
      if (env.type !== 'statements' && env.type !== 'activity' && env.type !== 'metrics') continue;
      minTs = Math.min(minTs, env.ts);
      maxTs = Math.max(maxTs, env.ts);
    }
    if (minTs <= maxTs) await this.store.timeseries.ensurePartitions(minTs, maxTs + 1);
    const metrics = batch.filter((a) => a.env.type === 'metrics');
    if (metrics.length === 0) return;
    const misses: { a: Accepted; owner: { kind: 'i' | 'n'; id: number }; cacheKey: string; shape: number }[] = [];
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
      // A collector sends the same metrics with the same labels run after run: compare the
      // message with the collector's last shapes instead of resolving every label set again.
      const cacheKey = `${owner.kind}${owner.id}/${a.env.data.collector}`;
      const shape = shapeHash(a.env.data);
      const known = this.shapes.get(cacheKey)?.find((k) => k.shape === shape);
      if (known) { this.prepared.set(a.env, known.setIds); continue; }
      misses.push({ a, owner, cacheKey, shape });
    }
    if (misses.length === 0) return;
    const infos = new Map<string, { name: string; kind: 'gauge' | 'counter'; unit?: string; interval_ms?: number }>();
    for (const { a } of misses) {
      if (a.env.type !== 'metrics') continue;
      for (const f of a.env.data.metrics) infos.set(f.name, { name: f.name, kind: f.kind, unit: f.unit, interval_ms: a.env.data.interval_ms });
    }
    const byName = await this.store.timeseries.ensureMetrics([...infos.values()]);
    const keys: SeriesKey[] = [];
    for (const { a, owner } of misses) {
      if (a.env.type !== 'metrics') continue;
      for (const f of a.env.data.metrics) {
        const metricId = byName.get(f.name)!.id;
        for (const p of f.points) keys.push({ ownerKind: owner.kind, ownerId: owner.id, metricId, labels: p.l ?? {} });
      }
    }
    const ids = await this.store.timeseries.resolveSeries(keys);
    // A message's series are stored as sets of at most MAX_SET_MEMBERS, so a row's arrays stay
    // small enough to be kept inline (PostgreSQL moves values past ~2 kB to TOAST, and reading
    // one member of a TOASTed array decompresses all of it).
    const sets: SeriesSet[] = [];
    const setsOf: number[] = [];
    let i = 0;
    misses.forEach(({ a, owner }, k) => {
      if (a.env.type !== 'metrics') return;
      const series: number[] = [];
      const counters: boolean[] = [];
      for (const f of a.env.data.metrics) for (let p = 0; p < f.points.length; p++) { series.push(ids[i++]); counters.push(f.kind === 'counter'); }
      for (let from = 0; from < series.length; from += MAX_SET_MEMBERS) {
        sets.push({ ownerKind: owner.kind, ownerId: owner.id, series: series.slice(from, from + MAX_SET_MEMBERS), counters: counters.slice(from, from + MAX_SET_MEMBERS), intervalMs: a.env.data.interval_ms });
        setsOf.push(k);
      }
    });
    const setIds = await this.store.timeseries.resolveSets(sets);
    if (this.shapes.size > MAX_SHAPES) this.shapes.clear();
    misses.forEach((m, k) => {
      // A message without points has no set: nothing to store.
      const mine = setIds.filter((_, j) => setsOf[j] === k);
      this.prepared.set(m.a.env, mine);
      // The last few shapes of each collector: one whose labels vary from run to run (locks by
      // mode, sessions by state and wait event) comes back to shapes it had before.
      const list = this.shapes.get(m.cacheKey) ?? [];
      if (!list.some((k) => k.shape === m.shape)) list.unshift({ shape: m.shape, setIds: mine });
      if (list.length > SHAPES_PER_COLLECTOR) list.pop();
      this.shapes.set(m.cacheKey, list);
    });
  }

  async write(tx: TransactionSql, batch: Accepted[]): Promise<void> {
    // The newest inventory of each instance and the newest heartbeat of each agent in the batch:
    // each one replaces what the older ones said.
    const inventories = new Map<number, Accepted & { env: { type: 'inventory' } }>();
    const heartbeats = new Map<number, Accepted & { env: { type: 'heartbeat' } }>();
    const rows: SetRows = { setId: [], ts: [], vals: [] };
    const statements: StatementsMessage[] = [];
    const activity: ActivityMessage[] = [];
    const settings: SettingsMessage[] = [];
    for (const a of batch) {
      const { env } = a;
      switch (env.type) {
        case 'metrics': {
          const first = rows.setId.length;
          const setIds = this.prepared.get(env) ?? [];
          let vals: number[] = [];
          for (const f of env.data.metrics) {
            for (const p of f.points) {
              vals.push(p.v);
              if (vals.length === MAX_SET_MEMBERS) { rows.setId.push(setIds[rows.setId.length - first]); rows.ts.push(env.ts); rows.vals.push(vals); vals = []; }
            }
          }
          if (vals.length > 0) { rows.setId.push(setIds[rows.setId.length - first]); rows.ts.push(env.ts); rows.vals.push(vals); }
          break;
        }
        case 'inventory': {
          const seen = a.instanceId === undefined ? undefined : inventories.get(a.instanceId);
          if (a.instanceId !== undefined && (!seen || seen.env.ts <= env.ts)) inventories.set(a.instanceId, a as Accepted & { env: typeof env });
          break;
        }
        case 'heartbeat': {
          const seen = heartbeats.get(a.agentId);
          if (!seen || seen.env.ts <= env.ts) heartbeats.set(a.agentId, a as Accepted & { env: typeof env });
          break;
        }
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
        case 'settings':
          settings.push({ instanceId: a.instanceId!, ts: env.ts, data: env.data });
          break;
        case 'command.result': {
          // The outcome joins its command, and the audit log says how it ended (refusals included).
          const d = env.data;
          const r = await this.store.commands.applyResult(tx, env.agent, env.instance, d);
          await this.store.audit.append({
            actor: `agent ${env.agent}`, actorKind: 'agent', action: `command.${d.status}`, target: env.instance ?? null, namespace: r.namespace,
            detail: { id: d.id, action: d.action, ...(r.by ? { by: r.by } : {}), ...(d.reason ? { reason: d.reason } : {}), ...(d.sqlstate ? { sqlstate: d.sqlstate } : {}),
              ...(d.error ? { error: d.error.slice(0, 500) } : {}), duration_ms: d.duration_ms, ...(d.task ? { task: d.task.id, scheduled_at: d.task.scheduled_at } : {}), ...(r.known || d.task ? {} : { unknown_command: true }), ...(r.duplicate ? { duplicate: true } : {}) },
            result: d.status === 'ok' || d.status === 'skipped' ? 'ok' : d.status === 'refused' ? 'denied' : 'failed',
          }, tx);
          break;
        }
      }
    }
    await this.store.statements.writeStatements(tx, statements);
    await this.store.statements.writeActivity(tx, activity);
    await this.store.settings.write(tx, settings);
    await this.store.timeseries.writeSets(tx, rows);
    // The agent and instance rows that inventories and heartbeats update are locked last, in the
    // one global order (agents, then instances, by id): held from here to the commit only, so a
    // concurrent batch of the same agents (this keeper's next one, another keeper's) waits for
    // these few updates and the commit, not for this batch's COPY. The locks and the updates go
    // out together, in that order, and come back in one round trip: nearly every batch holds a
    // heartbeat of most agents, so this is the part of a batch that batches take in turn.
    await Promise.all([
      this.store.inventory.lockForUpdate(tx, [...heartbeats.keys(), ...[...inventories.values()].map((a) => a.agentId)], inventories.keys()),
      this.store.inventory.applyInventories(tx, [...inventories].map(([instanceId, a]) => ({ instanceId, agentId: a.agentId, ...this.placed.get(a.env)!, data: a.env.data, ts: a.env.ts }))),
      this.store.inventory.applyHeartbeats(tx, [...heartbeats].map(([agentId, a]) => ({ agentId, nodeId: this.placed.get(a.env)!.nodeId, data: a.env.data }))),
    ]);
  }

  /**
   * Last-seen times and sequence numbers are written after the commit, at most once a
   * second, outside the batch transaction: updating the same agent and instance rows in
   * every batch would serialise concurrent batches (and keepers) on their row locks.
   */
  async committed(batch: Accepted[]): Promise<void> {
    for (const { env, agentId, instanceId } of batch) {
      this.agentSeq.set(agentId, Math.max(this.agentSeq.get(agentId) ?? 0, env.seq));
      if (instanceId !== undefined) this.instanceSeen.set(instanceId, Math.max(this.instanceSeen.get(instanceId) ?? 0, env.ts));
    }
    this.scheduleTouch();
  }

  /**
   * Touches at most once a second, and within a second of the last commit even when no batch
   * follows it. Not awaited: the batch is stored and may be acked; the touch waits for the row
   * locks of the batches in flight, and a batch that waited for it would hold its slot meanwhile.
   */
  private scheduleTouch(): void {
    if (this.touching || this.touchTimer) return;
    const wait = this.touchedAt + TOUCH_EVERY_MS - Date.now();
    if (wait <= 0) { void this.touch(); return; }
    this.touchTimer = setTimeout(() => { this.touchTimer = undefined; void this.touch(); }, wait);
    this.touchTimer.unref();
  }

  /** Writes the last-seen times and sequence numbers gathered since the last touch. */
  private async touch(): Promise<void> {
    const instances = this.instanceSeen;
    const agents = this.agentSeq;
    this.instanceSeen = new Map();
    this.agentSeq = new Map();
    this.touching = true;
    this.touchedAt = Date.now();
    let ok = false;
    try {
      // In a transaction of its own that first locks the rows as batches do (lockForUpdate's order): touch's updates
      // lock them in the order of their plan, which need not be id order, and would deadlock with a batch.
      await this.store.sql.begin(async (tx) => {
        await this.store.inventory.lockForUpdate(tx, agents.keys(), instances.keys());
        await this.store.inventory.touch(tx, instances, agents);
      });
      ok = true;
    } catch {
      // Another keeper touching the same rows, or the store is gone: keep them for the next time.
      for (const [id, ts] of instances) this.instanceSeen.set(id, Math.max(this.instanceSeen.get(id) ?? 0, ts));
      for (const [id, seq] of agents) this.agentSeq.set(id, Math.max(this.agentSeq.get(id) ?? 0, seq));
    } finally {
      this.touching = false;
    }
    // What came in meanwhile is written within the second; after a failure, with the next batch.
    if (ok && (this.instanceSeen.size > 0 || this.agentSeq.size > 0)) this.scheduleTouch();
  }
}

/** How often last-seen times are written. */
const TOUCH_EVERY_MS = 1000;

/** Collectors (of an owner) whose shapes are cached before the cache starts over. */
const MAX_SHAPES = 200_000;

/** Shapes remembered per collector and owner. */
const SHAPES_PER_COLLECTOR = 8;

/**
 * A 53-bit hash of what makes two metrics messages share a series set: interval, names,
 * kinds and label sets, in order (each string with its length, so no two sequences run
 * together). A collector's message is compared only with that collector's last few shapes, so a
 * wrong match needs a changed shape with an equal hash: about 8 in 2^53 per change (cyrb53's
 * mixing). Keeping a hash instead of the shape itself keeps a large fleet's labels out of memory.
 */
export function shapeHash(data: MetricsData): number {
  let h1 = 0xdeadbeef ^ data.metrics.length;
  let h2 = 0x41c6ce57 ^ (data.interval_ms ?? -1);
  const add = (n: number) => { h1 = Math.imul(h1 ^ n, 2654435761); h2 = Math.imul(h2 ^ n, 1597334677); };
  const addText = (t: string) => { add(t.length); for (let i = 0; i < t.length; i++) add(t.charCodeAt(i)); };
  for (const f of data.metrics) {
    addText(f.name);
    add(f.kind === 'counter' ? 1 : 2);
    add(f.points.length);
    for (const p of f.points) {
      const l = p.l;
      if (l === undefined) { add(0); continue; }
      const keys = Object.keys(l);
      add(keys.length);
      for (const k of keys) { addText(k); addText(l[k]); }
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
