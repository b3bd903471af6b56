import { createHash, createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { generateCommandKeys, signCommand, type Action, type Command, type ParamsOf, type SignedCommand } from '../../protocol/index.ts';
import type { CommandRow, Store, TaskRow } from '../../store/index.ts';
import type { CommandChannel } from './command-channel.ts';

/** How long a command may wait for its agent before it expires, by default. */
export const COMMAND_TTL_MS = 5 * 60_000;
const TASKS_SYNC_TTL_MS = 10 * 60_000;
const FINISHED = new Set(['ok', 'error', 'refused', 'cancelled', 'skipped', 'expired']);

/** Defaults a DBA expects: wait at most 5 s for a lock; maintenance may run long, everything else not. */
export function defaultTimeouts(action: string): { lockTimeoutMs: number; statementTimeoutMs: number } {
  const long = action === 'vacuum' || action === 'analyze' || action === 'reindex' || action === 'create_index' || action === 'drop_index';
  return { lockTimeoutMs: 5000, statementTimeoutMs: long ? 0 : action === 'script' || action === 'explain' ? 300_000 : 60_000 };
}

export interface IssueOptions { lockTimeoutMs?: number; statementTimeoutMs?: number; ttlMs?: number; taskId?: number }

/** A command's target: the agent that watches the instance, and the namespace it belongs to. */
export interface CommandTarget { agent: string; instance?: string; namespace: string | null }

/**
 * Signs commands with the server's key, records them, delivers them through the channel (again
 * while they wait, until they expire), and keeps every agent's scheduled task set up to date.
 */
export class CommandService {
  private key?: Promise<{ signer: KeyObject; publicKey: string }>;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private lastSync = 0;

  constructor(private readonly store: Store, private readonly channel: CommandChannel, private readonly opts: { log?: (level: 'info' | 'warn' | 'error', msg: string) => void; syncEveryMs?: number } = {}) {}

  private keys(): Promise<{ signer: KeyObject; publicKey: string }> {
    this.key ??= this.store.commands.keyPair(generateCommandKeys).then((k) => ({ signer: createPrivateKey(k.privateKey), publicKey: k.publicKey }));
    this.key.catch(() => { this.key = undefined; });
    return this.key;
  }

  /** The public key agents verify commands with (PEM). */
  async publicKey(): Promise<string> { return (await this.keys()).publicKey; }

  /** Signs, records and delivers a command; answers its row after the delivery attempt. */
  async issue<A extends Action>(by: string, target: CommandTarget, action: A, params: ParamsOf<A>, o: IssueOptions = {}): Promise<CommandRow> {
    const now = Date.now();
    const d = defaultTimeouts(action);
    const c: Command = {
      v: 1, id: randomUUID(), agent: target.agent, ...(target.instance ? { instance: target.instance } : {}), action, params,
      issued_at: now, expires_at: now + (o.ttlMs ?? COMMAND_TTL_MS), by,
      lock_timeout_ms: o.lockTimeoutMs ?? d.lockTimeoutMs, statement_timeout_ms: o.statementTimeoutMs ?? d.statementTimeoutMs,
    };
    const signed = signCommand(c, (await this.keys()).signer);
    await this.store.commands.insert({ id: c.id, agent: c.agent, instance: target.instance ?? null, namespace: target.namespace, action, params, by, requestedAt: now, expiresAt: c.expires_at, signed, taskId: o.taskId });
    await this.deliver(c.id, c.agent, signed);
    return (await this.store.commands.get(c.id))!;
  }

  private async deliver(id: string, agent: string, signed: SignedCommand): Promise<void> {
    const reply = await this.channel.deliver(agent, signed);
    // A duplicate: the agent has it from an earlier delivery; that one's state stands.
    if (reply && !reply.duplicate) await this.store.commands.delivered(id, reply.accepted, reply.reason);
  }

  /** The command's row once it has ended, or as it is after `waitMs`. */
  async waitFor(id: string, waitMs: number): Promise<CommandRow | undefined> {
    const until = Date.now() + waitMs;
    for (;;) {
      const row = await this.store.commands.get(id);
      if (!row || FINISHED.has(row.state) || Date.now() >= until) return row;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** For an agent polling over HTTPS: its queued commands, waiting up to `waitMs` for one. */
  async takeForAgent(agent: string, waitMs: number, signal?: AbortSignal): Promise<SignedCommand[]> {
    const until = Date.now() + waitMs;
    for (;;) {
      // A poll whose agent has gone takes nothing: what it took would be marked delivered and never run.
      if (signal?.aborted) return [];
      const taken = await this.store.commands.takeQueued(agent);
      if (taken.length || Date.now() >= until) return taken;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Re-delivers waiting commands and keeps task sets in sync, every second or two. */
  start(): void {
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      this.tick().catch((err) => this.opts.log?.('warn', `command delivery: ${(err as Error).message}`)).finally(() => { this.ticking = false; });
    }, 1500);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.ticking) await new Promise((r) => setTimeout(r, 50));
  }

  private async tick(): Promise<void> {
    await this.store.commands.expire();
    // One delivery at a time per agent, in order: a slow agent does not hold the others up.
    const byAgent = new Map<string, { id: string; signed: SignedCommand }[]>();
    for (const q of await this.store.commands.claimQueued()) byAgent.set(q.agent, [...(byAgent.get(q.agent) ?? []), q]);
    await Promise.all([...byAgent].map(async ([agent, list]) => {
      for (const q of list) await this.deliver(q.id, agent, q.signed);
    }));
    if (Date.now() - this.lastSync >= (this.opts.syncEveryMs ?? 10_000)) {
      this.lastSync = Date.now();
      await this.syncTasks();
    }
  }

  /** Each agent's share of the task set: the enabled tasks whose scope covers its instances. */
  async taskSets(): Promise<Map<string, { namespace: string | null; tasks: ParamsOf<'tasks_sync'>['tasks'] }>> {
    const [tasks, instances] = await Promise.all([this.store.commands.tasks(), this.store.inventory.listInstances()]);
    const sets = new Map<string, { namespace: string | null; tasks: ParamsOf<'tasks_sync'>['tasks'] }>();
    for (const i of instances) if (i.agent && !sets.has(i.agent)) sets.set(i.agent, { namespace: i.namespace, tasks: [] });
    for (const t of tasks.filter((x) => x.enabled)) {
      for (const i of instancesOf(t, instances)) {
        if (!i.agent) continue;
        sets.get(i.agent)!.tasks.push({
          id: t.id, name: t.name, instance: i.name, action: t.action, params: t.params, cron: t.cron, ...(t.timezone ? { timezone: t.timezone } : {}),
          ...(t.window ? { window: t.window } : {}), missed: t.missed, lock_timeout_ms: t.lockTimeoutMs, statement_timeout_ms: t.statementTimeoutMs, by: `task ${t.id} (${t.createdBy})`,
        });
      }
    }
    return sets;
  }

  /**
   * Sends its task set to every agent whose last accepted set differs from what it should hold now
   * (a task changed, or the inventory did: an instance added to a cluster, moved, or gone). A set
   * the agent refused is sent again after an hour, one that expired after a minute.
   */
  async syncTasks(): Promise<number> {
    const [sets, state, held] = await Promise.all([this.taskSets(), this.store.commands.taskSyncState(), this.store.commands.heldTaskSets()]);
    let sent = 0;
    for (const agent of new Set([...sets.keys(), ...state.keys()])) {
      const set = sets.get(agent) ?? { namespace: null, tasks: [] };
      const have = state.get(agent);
      const reported = held.get(agent);
      if (!have && set.tasks.length === 0 && !reported?.digest) continue;
      const digest = createHash('sha256').update(JSON.stringify(set.tasks)).digest('hex');
      // What the agent says it holds (its heartbeat) wins over what it once accepted: a reinstalled
      // agent, with an empty spool folder, holds nothing whatever it accepted before.
      const holds = reported ? reported.digest : have?.digest ?? null;
      if (holds === digest || have?.pending) continue;
      // This set was sent and is not held: again after 30 s (a default agent's heartbeats say by then
      // whether it took it), or after an hour when the agent refused it.
      if (have && have.sentDigest === digest && Date.now() - have.sentAt < (have.refused ? 3600_000 : 30_000)) continue;
      const version = await this.store.commands.nextTaskVersion();
      await this.issue('system', { agent, namespace: set.namespace }, 'tasks_sync', { version, digest, tasks: set.tasks }, { ttlMs: TASKS_SYNC_TTL_MS });
      sent++;
    }
    return sent;
  }

  /** After a change of the task set: the agents concerned get theirs now (the periodic sync catches up if this fails). */
  async tasksChanged(): Promise<void> {
    this.lastSync = Date.now();
    try {
      await this.syncTasks();
    } catch (err) {
      this.opts.log?.('warn', `task sets not sent yet, tried again shortly: ${(err as Error).message}`);
      this.lastSync = 0;
    }
  }
}

/** The instances a task's scope covers. */
export function instancesOf<T extends { name: string; namespace: string; cluster: string }>(t: Pick<TaskRow, 'scope' | 'target' | 'namespace'>, instances: T[]): T[] {
  // Never outside the namespace the task was authorized in (an instance can move to another one).
  const mine = instances.filter((i) => i.namespace === t.namespace);
  switch (t.scope) {
    case 'instance': return mine.filter((i) => i.name === t.target);
    case 'cluster': return mine.filter((i) => `${i.namespace}/${i.cluster}` === t.target);
    case 'namespace': return mine.filter((i) => i.namespace === t.target);
  }
}
