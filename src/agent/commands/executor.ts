import { randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import {
  cutText, CommandRefusal, openCommand, paramsProblem, writesData,
  type Action, type Command, type CommandReply, type CommandResultData, type SignedCommand,
} from '../../protocol/index.ts';
import { ActionError, databaseOf, openActionSession, ReplicaRefusal, runAction, type ActionSession } from './actions.ts';

export interface CommandTarget { name: string; url: string }

export interface ExecutorOptions {
  agent: string;
  /** The server's command key (given at enrollment); without it every command is refused. */
  publicKey?: KeyObject;
  /** Actions this agent runs. */
  allow: ReadonlySet<string>;
  targets: readonly CommandTarget[];
  /** Sends a `command.result` (through the spool, so it survives a restart of anything). */
  report: (instance: string | undefined, data: CommandResultData) => void;
  /** Where the ids of accepted commands are kept until they expire, so a replay is refused after a restart too. */
  stateDir?: string;
  /** Commands that run at once; more wait their turn (default 4). */
  maxConcurrent?: number;
  /** `tasks_sync` goes to the scheduler; answers why it refused, or undefined. */
  onTasks?: (signed: SignedCommand, c: Command) => string | undefined;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  now?: () => number;
}

interface Running { command: Command; session?: ActionSession; cancelled: boolean }

/** What ran a command: a user's request, or a scheduled task's run. */
export interface RunOrigin { task?: { id: number; scheduled_at: number } }

/**
 * The agent's command executor: verifies each signed command (signature, expiry, agent, allowlist,
 * replay), answers at once whether it accepted it, runs it on its own connection, and reports the
 * outcome as a `command.result` message.
 */
export class CommandExecutor {
  private readonly seen = new Map<string, number>();
  private readonly running = new Map<string, Running>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly o: ExecutorOptions) {
    this.now = o.now ?? Date.now;
    if (o.stateDir) {
      try {
        const saved = JSON.parse(readFileSync(this.seenFile(), 'utf8')) as Record<string, number>;
        for (const [id, exp] of Object.entries(saved)) if (typeof exp === 'number') this.seen.set(id, exp);
      } catch { /* first start, or an unreadable file: nothing seen */ }
    }
  }

  private seenFile(): string { return join(this.o.stateDir!, 'commands-seen.json'); }

  /** Verifies a delivered command and starts it; the answer says whether it was accepted. */
  handle(signed: unknown): CommandReply {
    const now = this.now();
    let c: Command;
    try {
      if (!this.o.publicKey) throw new CommandRefusal('PGFLEET_COMMAND_SIGNATURE', "this agent has no server command key (pgfleet enroll writes it; --command-key-file gives it): it runs no commands");
      c = openCommand(signed, { publicKey: this.o.publicKey, agent: this.o.agent, allow: this.o.allow, now });
      const exp = this.seen.get(c.id);
      if (exp !== undefined) throw new CommandRefusal('PGFLEET_COMMAND_REPLAYED', `command ${c.id} was already received`, c);
      if (c.action !== 'tasks_sync' && c.action !== 'cancel_command' && !this.o.targets.some((t) => t.name === c.instance)) {
        throw new CommandRefusal('PGFLEET_COMMAND_UNKNOWN_INSTANCE', `this agent does not watch instance ${c.instance ?? '(none named)'}`, c);
      }
    } catch (err) {
      if (!(err instanceof CommandRefusal)) throw err;
      return this.refuse(err, now);
    }
    this.remember(c.id, c.expires_at, now);
    if (c.action === 'tasks_sync') {
      const why = this.o.onTasks?.(signed as SignedCommand, c) ?? (this.o.onTasks ? undefined : 'this agent runs no scheduled tasks');
      this.o.report(undefined, { id: c.id, action: c.action, status: why ? 'refused' : 'ok', ...(why ? { reason: why } : {}), duration_ms: 0, by: c.by });
      return why ? { id: c.id, accepted: false, reason: why } : { id: c.id, accepted: true };
    }
    this.track(this.execute(c, {}));
    return { id: c.id, accepted: true };
  }

  private refuse(err: CommandRefusal, now: number): CommandReply {
    // The outcome is reported under the command's id only when the command is the server's and new:
    // an unsigned text's id is anybody's, and a replay's id belongs to the run that already happened.
    const trusted = err.code !== 'PGFLEET_COMMAND_SIGNATURE' && err.code !== 'PGFLEET_COMMAND_MALFORMED' && err.code !== 'PGFLEET_COMMAND_REPLAYED';
    const c = err.command;
    const id = trusted && c ? c.id : randomUUID();
    if (c && !trusted) err.message += ` (its id: ${c.id})`;
    const ours = c?.instance && this.o.targets.some((t) => t.name === c.instance) ? c.instance : undefined;
    this.o.log?.('warn', `command ${id} refused: ${err.message}`);
    this.o.report(ours, {
      id, action: cutText(c?.action ?? 'unknown', 40), status: 'refused', reason: cutText(`${err.code}: ${err.message}`, 2000), duration_ms: 0, started_at: now,
      ...(c?.by ? { by: cutText(c.by, 200) } : {}),
    });
    return { id: c?.id ?? id, accepted: false, reason: err.message, ...(err.code === 'PGFLEET_COMMAND_REPLAYED' ? { duplicate: true } : {}) };
  }

  private remember(id: string, expiresAt: number, now: number): void {
    this.seen.set(id, expiresAt);
    for (const [k, exp] of this.seen) if (exp < now - 60_000) this.seen.delete(k);
    if (!this.o.stateDir) return;
    try {
      const tmp = `${this.seenFile()}.tmp`;
      writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.seen)));
      renameSync(tmp, this.seenFile());
    } catch (err) {
      this.o.log?.('warn', `could not keep the ids of received commands: ${(err as Error).message}`);
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    p.finally(() => this.inFlight.delete(p)).catch(() => {});
    return p;
  }

  /**
   * A scheduled task's run: the task's parameters were signed with the task set, and are checked
   * again here against this agent's allowlist. Resolves with the outcome (already reported).
   */
  runTask(t: { id: number; instance: string; action: string; params: unknown; by: string; lock_timeout_ms: number; statement_timeout_ms: number }, scheduledAt: number): Promise<CommandResultData> {
    const now = this.now();
    const c: Command = {
      v: 1, id: randomUUID(), agent: this.o.agent, instance: t.instance, action: t.action, params: t.params, issued_at: now, expires_at: now + 3600_000,
      by: t.by, lock_timeout_ms: t.lock_timeout_ms, statement_timeout_ms: t.statement_timeout_ms,
    };
    const task = { id: t.id, scheduled_at: scheduledAt };
    const refused = !this.o.allow.has(t.action) ? `action "${t.action}" is not on this agent's allowlist`
      : paramsProblem(t.action as Action, t.params) ?? (this.o.targets.some((x) => x.name === t.instance) ? undefined : `this agent does not watch instance ${t.instance}`);
    if (refused) {
      const r: CommandResultData = { id: c.id, action: t.action, status: 'refused', reason: refused, duration_ms: 0, started_at: now, by: t.by, task };
      this.o.report(this.o.targets.some((x) => x.name === t.instance) ? t.instance : undefined, r);
      return Promise.resolve(r);
    }
    return this.track(this.execute(c, { task }));
  }

  /** Reports a task's run that did not happen (outside its window, missed while down). */
  skipTask(t: { id: number; instance: string; action: string; by: string }, scheduledAt: number, reason: string): void {
    this.o.report(this.o.targets.some((x) => x.name === t.instance) ? t.instance : undefined, {
      id: randomUUID(), action: t.action, status: 'skipped', reason, duration_ms: 0, by: t.by, task: { id: t.id, scheduled_at: scheduledAt },
    });
  }

  private async slot(): Promise<void> {
    if (this.active < (this.o.maxConcurrent ?? 4)) { this.active++; return; }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); else this.active--;
  }

  private async execute(c: Command, origin: RunOrigin): Promise<CommandResultData> {
    const entry: Running = { command: c, cancelled: false };
    this.running.set(c.id, entry);
    let started = this.now();
    const base = { id: c.id, action: c.action, by: c.by, ...(origin.task ? { task: origin.task } : {}) };
    let result: CommandResultData;
    try {
      if (c.action === 'cancel_command') {
        result = { ...base, status: 'ok', started_at: started, duration_ms: 0, output: await this.cancel((c.params as { command: string }).command) };
      } else {
        await this.slot();
        try {
          started = this.now();
          if (entry.cancelled) throw new CancelledBeforeStart();
          // Commands wait for a free slot behind long ones: one whose time has passed does not run late.
          if (!origin.task && c.expires_at <= started) throw new ExpiredBeforeStart(`it waited for a free slot until after its expiry (${Math.round((started - c.expires_at) / 1000)} s ago)`);
          const target = this.o.targets.find((t) => t.name === c.instance)!;
          const p = c.params as Record<string, unknown>;
          const readOnly = (c.action === 'explain' && !(p.allow_writes === true && p.analyze === true)) || (c.action === 'script' && p.read_only === true);
          entry.session = await openActionSession(target.url, c, databaseOf(c), readOnly);
          if (entry.cancelled) throw new CancelledBeforeStart();
          const output = await runAction(entry.session, c);
          result = { ...base, status: 'ok', started_at: started, duration_ms: this.now() - started, output };
        } finally {
          this.release();
        }
      }
    } catch (err) {
      const e = err as { code?: string; message?: string; detail?: string; hint?: string };
      const sqlstate = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
      const duration_ms = this.now() - started;
      if (err instanceof ExpiredBeforeStart) {
        result = { ...base, status: 'refused', reason: `PGFLEET_COMMAND_EXPIRED: ${err.message}`, started_at: started, duration_ms };
      } else if (err instanceof ReplicaRefusal || sqlstate === '25006' && writesData(c.action as Action, c.params as Record<string, unknown>) && entry.session?.replica) {
        // A task on a cluster runs on whichever instance is the primary at the time: on a replica it is skipped, not refused.
        result = origin.task ? { ...base, status: 'skipped', reason: `replica: ${e.message}`, started_at: started, duration_ms }
          : { ...base, status: 'refused', reason: `PGFLEET_COMMAND_REPLICA: ${e.message}`, started_at: started, duration_ms };
      } else if (entry.cancelled && (sqlstate === '57014' || err instanceof CancelledBeforeStart)) {
        result = { ...base, status: 'cancelled', reason: 'cancelled on request', started_at: started, duration_ms, ...(sqlstate ? { sqlstate } : {}) };
      } else {
        const text = `${e.message ?? String(err)}${e.detail ? `\nDETAIL: ${e.detail}` : ''}${e.hint ? `\nHINT: ${e.hint}` : ''}`;
        result = { ...base, status: 'error', error: cutText(text, 4000), started_at: started, duration_ms, ...(sqlstate ? { sqlstate } : {}) };
        if (!(err instanceof ActionError) && !sqlstate) this.o.log?.('warn', `command ${c.id} (${c.action}) failed: ${e.message}`);
      }
    } finally {
      this.running.delete(c.id);
      await entry.session?.sql.end({ timeout: 2 }).catch(() => {});
    }
    this.o.report(c.instance, result);
    return result;
  }

  /** Cancels a running command: its statement is cancelled (pg_cancel_backend) from a connection of its own. */
  private async cancel(id: string): Promise<Record<string, unknown>> {
    const r = this.running.get(id);
    if (!r) throw new ActionError(`command ${id} is not running on this agent`);
    r.cancelled = true;
    if (!r.session) return { command: id, cancelled: 'before it started' };
    const target = this.o.targets.find((t) => t.name === r.command.instance)!;
    const sql = postgres(target.url, { max: 1, connect_timeout: 10, prepare: false, fetch_types: false, onnotice: () => {}, connection: { application_name: 'pgfleet-command cancel' } });
    try {
      const [x] = await sql`select pg_cancel_backend(${r.session.pid}) as ok`;
      return { command: id, pid: r.session.pid, signalled: x.ok as boolean };
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }

  /** Ids of commands running now. */
  runningIds(): string[] { return [...this.running.keys()]; }

  /** Waits for every command started so far to end. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * At shutdown: waits `graceMs` for running commands, then cancels their statements (a VACUUM
   * without a statement timeout would hold the agent's stop for hours); they end `cancelled`.
   */
  async stop(graceMs = 10_000): Promise<void> {
    const all = Promise.allSettled([...this.inFlight]);
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (!timedOut) return;
    for (const id of this.runningIds()) await this.cancel(id).catch(() => {});
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}

class CancelledBeforeStart extends Error {}
class ExpiredBeforeStart extends Error {}
