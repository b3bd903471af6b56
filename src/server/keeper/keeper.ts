import type { Store } from '../../store/index.ts';
import { cutText, decodeEnvelope, ProtocolError, toPgText, type Envelope } from '../../protocol/index.ts';
import { DAY_MS, DEFAULT_NAMESPACE, numberArray } from '../../store/index.ts';
import type { Accepted, Receiver, Routes } from './receiver.ts';
import { isSqlState, isTransientError } from '../../pg-errors/index.ts';
import { IngestRefusedError } from './errors.ts';

export { isDataError, isTransientError } from '../../pg-errors/index.ts';

/** One incoming message: raw bytes (NATS, HTTP) or an already decoded envelope (in-process). */
export interface Incoming {
  bytes?: Uint8Array;
  envelope?: Envelope;
  /** Where it came from, for dead letters: `nats:<subject>`, `http`, `inproc`. */
  source: string;
  /**
   * Who the transport says sent it (the agent and namespace of its NATS subject, which the broker's
   * authorization allowed it): an envelope of another agent, or an inventory of another namespace, is refused.
   */
  sender?: { agent: string; namespace: string };
}

export interface DeadLetter {
  /** Position of the message in the batch that was checked. */
  index?: number;
  source: string;
  agent?: string;
  seq?: number;
  type?: string;
  code: string;
  reason: string;
  payload?: Uint8Array;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  dead: DeadLetter[];
}

export interface KeeperOptions {
  routes: Routes;
  receivers: Receiver[];
  /** Messages older than this are refused (retention would drop them at once). */
  maxAgeMs?: number;
  /** Messages stamped further in the future are refused (a clock that is off). */
  maxFutureMs?: number;
}

export interface KeeperStats {
  batches: number;
  accepted: number;
  duplicates: number;
  dead: number;
  failures: number;
  /** Newest `ts` of the metrics messages committed so far (0: none yet): now − newestSampleTs is the ingest lag. */
  newestSampleTs: number;
  /** When the last batch committed (ms since epoch, 0: never). */
  committedAt: number;
}

/**
 * Validates, dedups on (agent, seq), routes to receivers and commits one batch
 * in one transaction. Callers ack their source only after `ingest` resolves.
 */
export class Keeper {
  readonly stats: KeeperStats = { batches: 0, accepted: 0, duplicates: 0, dead: 0, failures: 0, newestSampleTs: 0, committedAt: 0 };
  private readonly receivers: Map<string, Receiver>;

  constructor(private readonly store: Store, private readonly opts: KeeperOptions) {
    this.receivers = new Map(opts.receivers.map((r) => [r.name, r]));
    for (const [type, names] of Object.entries(opts.routes)) {
      for (const n of names ?? []) {
        if (!this.receivers.has(n)) throw new Error(`route ${type} → ${n}: no receiver named "${n}"`);
      }
    }
  }

  /**
   * Decodes and validates without storing: the first problem of each bad message. The text
   * of a dead letter is made storable (a key or agent name read from a bad message may hold
   * U+0000 or a lone surrogate, which PostgreSQL text cannot).
   */
  static check(items: Incoming[], now = Date.now(), limits: Pick<KeeperOptions, 'maxAgeMs' | 'maxFutureMs'> = {}): { ok: Envelope[]; dead: DeadLetter[] } {
    const ok: Envelope[] = [];
    const dead: DeadLetter[] = [];
    const maxAge = limits.maxAgeMs ?? 7 * DAY_MS;
    const maxFuture = limits.maxFutureMs ?? DAY_MS;
    for (const [index, item] of items.entries()) {
      try {
        const env = item.envelope ?? decodeEnvelope(item.bytes!);
        const partial = { agent: env.agent, seq: env.seq, type: env.type };
        if (env.ts > now + maxFuture) throw new ProtocolError('PGFLEET_PROTOCOL_ENVELOPE', `ts ${isoTime(env.ts)} is in the future (clock off by more than ${maxFuture / 1000} s)`, partial);
        if (env.ts < now - maxAge) throw new ProtocolError('PGFLEET_PROTOCOL_ENVELOPE', `ts ${isoTime(env.ts)} is older than the retention of ${maxAge / 1000} s`, partial);
        if (PER_INSTANCE.has(env.type) && env.instance === undefined) throw new ProtocolError('PGFLEET_PROTOCOL_ENVELOPE', `a ${env.type} message needs "instance"`, partial);
        const problem = item.sender ? senderProblem(env, item.sender) : undefined;
        if (problem) throw new ProtocolError('PGFLEET_PROTOCOL_ENVELOPE', problem, partial);
        ok.push(env);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        const { agent, type, seq } = err.partial;
        dead.push({
          index, source: item.source, code: err.code, reason: toPgText(err.message), payload: item.bytes,
          ...(agent !== undefined ? { agent: toPgText(agent) } : {}), ...(seq !== undefined ? { seq } : {}), ...(type !== undefined ? { type: toPgText(type) } : {}),
        });
      }
    }
    return { ok, dead };
  }

  /**
   * Stores a batch in one transaction. A transient failure (the store is down,
   * overloaded, a serialisation conflict) is thrown for the caller to retry.
   * Any other failure means something in the batch can never be stored: with
   * `isolate` on, the batch is split until the message at fault is found; it
   * goes to the dead letters and the rest is stored, so one bad message never
   * blocks a stream. With `isolate: false` the batch is all or nothing, for a
   * caller that answers for it as a whole (the HTTP route): messages the checks
   * refuse are thrown as an IngestRefusedError instead of being dead-lettered,
   * and nothing is stored. `now` is the time the checks use (default: the clock),
   * so a caller that checked the batch already gets the same verdict here.
   */
  async ingest(items: Incoming[], opts: { isolate?: boolean; now?: number } = {}): Promise<IngestResult> {
    try {
      return await this.ingestOnce(items, opts.isolate === false, opts.now ?? Date.now());
    } catch (err) {
      if (err instanceof IngestRefusedError) throw err;
      if (opts.isolate === false || isTransientError(err)) {
        this.stats.failures++;
        throw err;
      }
      if (items.length === 1) return this.deadLetterOne(items[0], err);
      const mid = Math.ceil(items.length / 2);
      const a = await this.ingest(items.slice(0, mid), opts);
      const b = await this.ingest(items.slice(mid), opts);
      return { accepted: a.accepted + b.accepted, duplicates: a.duplicates + b.duplicates, dead: [...a.dead, ...b.dead] };
    }
  }

  private async deadLetterOne(item: Incoming, err: unknown): Promise<IngestResult> {
    const env = item.envelope;
    const bytes = item.bytes ?? (env ? new TextEncoder().encode(JSON.stringify(env)) : undefined);
    const e = err as { code?: string; message?: string };
    const dead: DeadLetter = {
      source: item.source, agent: env?.agent, seq: env?.seq, type: env?.type,
      code: isSqlState(e.code) ? `SQLSTATE_${e.code}` : 'PGFLEET_INGEST_REJECTED',
      reason: toPgText(cutText(`store refused the message: ${e.message ?? String(err)}`, 4000)), payload: bytes,
    };
    if (!env && item.bytes) {
      try { const d = decodeEnvelope(item.bytes); Object.assign(dead, { agent: d.agent, seq: d.seq, type: d.type }); } catch { /* keep partial */ }
    }
    await this.store.sql`insert into dead_letters (source, agent, seq, type, code, reason, payload)
      values (${dead.source}, ${dead.agent ?? null}, ${dead.seq ?? null}, ${dead.type ?? null}, ${dead.code}, ${dead.reason},
              decode(${dead.payload ? Buffer.from(dead.payload).toString('hex') : null}::text, 'hex'))`;
    this.stats.dead++;
    return { accepted: 0, duplicates: 0, dead: [dead] };
  }

  /**
   * Messages from an authenticated sender about an instance of another namespace: an agent may write
   * only to instances of its own namespace (or to one it registered itself before its inventory named
   * the namespace). Returns those messages' positions in `ok`, with the reason.
   */
  private async foreignInstances(ok: Envelope[], senders: (Incoming['sender'])[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const names = [...new Set(ok.flatMap((e, k) => (senders[k] && e.instance !== undefined ? [e.instance] : [])))];
    if (names.length === 0) return out;
    const owner = new Map((await this.store.inventory.instanceOwners(names)).map((r) => [r.name, r]));
    ok.forEach((e, k) => {
      const s = senders[k];
      const o = e.instance !== undefined ? owner.get(e.instance) : undefined;
      if (!s || !o || o.namespace === s.namespace || (o.namespace === DEFAULT_NAMESPACE && o.agent === s.agent)) return;
      out.set(k, `instance ${e.instance} belongs to namespace ${o.namespace}; agent ${s.agent} is of namespace ${s.namespace}`);
    });
    return out;
  }

  private async ingestOnce(items: Incoming[], allOrNothing: boolean, now: number): Promise<IngestResult> {
    const checked = Keeper.check(items, now, this.opts);
    const dead = checked.dead;
    // Positions in `items` of the envelopes that passed, and their senders.
    const failed = new Set(dead.map((d) => d.index));
    const indexes = items.map((_, i) => i).filter((i) => !failed.has(i));
    const foreign = await this.foreignInstances(checked.ok, indexes.map((i) => items[i].sender));
    const ok = checked.ok.filter((e, k) => {
      const reason = foreign.get(k);
      if (reason === undefined) return true;
      const item = items[indexes[k]];
      dead.push({ index: indexes[k], source: item.source, code: 'PGFLEET_PROTOCOL_ENVELOPE', reason, payload: item.bytes, agent: e.agent, seq: e.seq, type: e.type });
      return false;
    });
    if (allOrNothing && dead.length > 0) throw new IngestRefusedError(dead.map((d) => ({ index: d.index!, code: d.code, reason: d.reason })));
    const inv = this.store.inventory;
    const resolved: Accepted[] = [];
    for (const env of ok) {
      const agentId = await inv.agentId(env.agent);
      const instanceId = env.instance !== undefined ? await inv.instanceId(env.instance, agentId) : undefined;
      resolved.push({ env, agentId, instanceId });
    }
    for (const r of this.opts.receivers) if (r.prepare) await r.prepare(this.routed(r.name, resolved));

    const { accepted, duplicates } = await this.store.sql.begin(async (tx) => {
      // In (agent, seq) order: two batches holding the same messages (a resend while the first
      // try is still being written) then wait for each other's keys in one order, never in a cycle.
      const fresh = await tx<{ agent_id: number; seq: number }[]>`
        insert into ingested (agent_id, seq, type)
        select * from unnest(${numberArray(resolved.map((a) => a.agentId))}::int[], ${numberArray(resolved.map((a) => a.env.seq))}::bigint[], ${resolved.map((a) => a.env.type)}::text[]) u(a, s, t)
        order by a, s
        on conflict do nothing
        returning agent_id, seq`;
      const freshKeys = new Set(fresh.map((r) => `${r.agent_id}:${r.seq}`));
      const accepted = resolved.filter((a) => freshKeys.delete(`${a.agentId}:${a.env.seq}`));
      if (dead.length > 0) {
        await tx`insert into dead_letters (source, agent, seq, type, code, reason, payload)
          select s, a, q, t, c, r, decode(p, 'hex') from unnest(${dead.map((d) => d.source)}::text[], ${dead.map((d) => d.agent ?? null)}::text[],
            ${dead.map((d) => d.seq ?? null)}::bigint[], ${dead.map((d) => d.type ?? null)}::text[],
            ${dead.map((d) => d.code)}::text[], ${dead.map((d) => d.reason)}::text[],
            ${dead.map((d) => (d.payload ? Buffer.from(d.payload).toString('hex') : null))}::text[]) u(s, a, q, t, c, r, p)`;
      }
      for (const r of this.opts.receivers) if (r.write) await r.write(tx, this.routed(r.name, accepted));
      return { accepted, duplicates: resolved.length - accepted.length };
    });
    for (const r of this.opts.receivers) if (r.committed) await r.committed(this.routed(r.name, accepted));
    this.stats.batches++;
    this.stats.committedAt = Date.now();
    for (const a of accepted) if (a.env.type === 'metrics' && a.env.ts > this.stats.newestSampleTs) this.stats.newestSampleTs = a.env.ts;
    this.stats.accepted += accepted.length;
    this.stats.duplicates += duplicates;
    this.stats.dead += dead.length;
    return { accepted: accepted.length, duplicates, dead };
  }

  private routed(receiver: string, batch: Accepted[]): Accepted[] {
    return batch.filter((a) => this.opts.routes[a.env.type]?.includes(receiver));
  }
}

/** Message types that only make sense for an instance. */
const PER_INSTANCE = new Set<string>(['inventory', 'statements', 'activity', 'settings']);

/** ISO time, or the raw number when it is outside what a Date can hold. */
function isoTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** Why an envelope may not come from this sender: another agent's id, or an inventory that claims another namespace. */
export function senderProblem(env: Envelope, sender: { agent: string; namespace: string }): string | undefined {
  if (env.agent !== sender.agent) return `sent as agent ${sender.agent}, but the envelope says agent ${env.agent}`;
  if (env.type === 'inventory' && env.data.namespace !== sender.namespace) return `agent ${sender.agent} belongs to namespace ${sender.namespace}, but its inventory says ${env.data.namespace}`;
  return undefined;
}
