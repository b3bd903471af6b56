import type { KeyObject } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cron } from 'croner';
import { openCommand, type Command, type ParamsOf, type SignedCommand } from '../../protocol/index.ts';
import type { CommandExecutor } from './executor.ts';

export type TaskDef = ParamsOf<'tasks_sync'>['tasks'][number];

interface Scheduled { def: TaskDef; cron: Cron; next: number | undefined }

export interface SchedulerOptions {
  agent: string;
  publicKey: KeyObject;
  executor: CommandExecutor;
  /** The signed task set and the last run of each task are kept here, so tasks run while the server is away and after a restart. */
  stateDir: string;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  now?: () => number;
}

const keyOf = (t: TaskDef): string => `${t.id}:${t.instance}`;

/** The next time after `t`, or undefined when there is none (or the time zone is unknown here). */
function nextOf(cron: Cron, t: number): number | undefined {
  try { return cron.nextRun(new Date(t))?.getTime(); } catch { return undefined; }
}

/** "HH:MM" of `t` in `tz` (the machine's zone without one). */
function clockOf(t: number, tz?: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(tz ? { timeZone: tz } : {}) }).format(t);
}

/** Whether `t` falls in the daily window [start, end); an end before the start wraps past midnight. */
export function inWindow(t: number, w: TaskDef['window'], tz?: string): boolean {
  if (!w) return true;
  const now = clockOf(t, tz);
  return w.start <= w.end ? now >= w.start && now < w.end : now >= w.start || now < w.end;
}

/**
 * Runs scheduled tasks on the agent itself, from the last task set the server signed: they run
 * when the server is unreachable, and their results reach it later through the spool. A run
 * does not start while the task's previous run is still going (it is reported as skipped), nor
 * outside the task's window; a run missed while the agent was down is skipped or run once, as
 * the task says.
 */
export class TaskScheduler {
  /** By task and instance: a task on a cluster or namespace has one entry per instance of this agent. */
  private tasks = new Map<string, Scheduled>();
  /** Runs going on, by task and instance: kept apart from the task entries, which a new task set replaces mid-run. */
  private readonly running = new Map<string, Promise<unknown>>();
  private version = -1;
  private digest: string | undefined;
  /** The scheduled time of each task's last run (or skip), kept across restarts. */
  private last: Record<string, number> = {};
  private readonly now: () => number;

  constructor(private readonly o: SchedulerOptions) {
    this.now = o.now ?? Date.now;
  }

  private file(name: string): string { return join(this.o.stateDir, name); }

  private save(name: string, value: unknown): void {
    const tmp = `${this.file(name)}.tmp`;
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, this.file(name));
  }

  /** Loads the task set kept from the last run (its signature checked again), and handles runs missed meanwhile. */
  load(): void {
    try { this.last = JSON.parse(readFileSync(this.file('tasks-state.json'), 'utf8')) as Record<string, number>; } catch { this.last = {}; }
    let signed: SignedCommand;
    try { signed = JSON.parse(readFileSync(this.file('tasks.json'), 'utf8')) as SignedCommand; } catch { return; }
    try {
      const c = openCommand(signed, { publicKey: this.o.publicKey, agent: this.o.agent, allow: new Set(['tasks_sync']), now: this.now(), ignoreExpiry: true });
      this.install(c, true);
    } catch (err) {
      this.o.log?.('error', `the kept task set is not valid, no task runs until the server sends one: ${(err as Error).message}`);
    }
  }

  /** A verified `tasks_sync`: refused if older than the set held (a replay); answers why, or undefined. */
  accept(signed: SignedCommand, c: Command): string | undefined {
    const p = c.params as ParamsOf<'tasks_sync'>;
    if (p.version < this.version) return `task set version ${p.version} is older than the one held (${this.version})`;
    for (const t of p.tasks) {
      // nextRun() too: croner accepts an unknown time zone at construction and throws only there.
      try { new Cron(t.cron, { paused: true, ...(t.timezone ? { timezone: t.timezone } : {}) }).nextRun(); } catch (err) { return `task ${t.id}: ${(err as Error).message}`; }
    }
    try { this.save('tasks.json', signed); } catch (err) { return `could not keep the task set: ${(err as Error).message}`; }
    this.install(c, false);
    return undefined;
  }

  private install(c: Command, atStart: boolean): void {
    const p = c.params as ParamsOf<'tasks_sync'>;
    const now = this.now();
    this.tasks = new Map();
    this.version = p.version;
    this.digest = p.digest;
    for (const def of p.tasks) {
      let cron: Cron;
      try { cron = new Cron(def.cron, { paused: true, ...(def.timezone ? { timezone: def.timezone } : {}) }); } catch (err) {
        this.o.log?.('error', `task ${def.id} (${def.name}): ${(err as Error).message}`);
        continue;
      }
      const key = keyOf(def);
      const s: Scheduled = { def, cron, next: undefined };
      const lastAt = this.last[key];
      if (atStart && lastAt !== undefined) {
        // The first time due after the last run: if it has passed, the run was missed while the agent was down.
        const missed = nextOf(cron, lastAt);
        if (missed !== undefined && missed <= now) {
          let latest = missed;
          for (let t = nextOf(cron, latest); t !== undefined && t <= now; t = nextOf(cron, t)) latest = t;
          if (def.missed === 'run' && inWindow(now, def.window, def.timezone)) this.start(s, latest);
          else this.skip(s, latest, def.missed === 'run' ? 'missed while the agent was down, and now outside its window' : 'missed while the agent was down (missed-run policy: skip)');
        }
      }
      s.next = nextOf(cron, now);
      this.tasks.set(key, s);
    }
    // Last runs of tasks no longer held are forgotten (after the loop: pruning inside it lost the others' last runs).
    const before = Object.keys(this.last).length;
    for (const k of Object.keys(this.last)) if (!this.tasks.has(k)) delete this.last[k];
    if (Object.keys(this.last).length !== before) {
      try { this.save('tasks-state.json', this.last); } catch { /* kept in memory; saved with the next run */ }
    }
    this.o.log?.('info', `scheduled tasks: ${this.tasks.size} (set version ${this.version})`);
  }

  private mark(key: string, at: number): void {
    this.last[key] = at;
    try { this.save('tasks-state.json', this.last); } catch (err) { this.o.log?.('warn', `could not keep the tasks' last runs: ${(err as Error).message}`); }
  }

  private skip(s: Scheduled, at: number, reason: string): void {
    this.mark(keyOf(s.def), at);
    this.o.executor.skipTask(s.def, at, reason);
  }

  private start(s: Scheduled, at: number): void {
    this.mark(keyOf(s.def), at);
    const key = keyOf(s.def);
    const run = this.o.executor.runTask(s.def, at);
    this.running.set(key, run);
    run.finally(() => { if (this.running.get(key) === run) this.running.delete(key); }).catch(() => {});
  }

  /** Starts (or skips) every task that is due; called by the agent's clock. */
  tick(): void {
    const now = this.now();
    for (const s of this.tasks.values()) {
      if (s.next === undefined || now < s.next) continue;
      const at = s.next;
      s.next = nextOf(s.cron, Math.max(now, at));
      if (this.running.has(keyOf(s.def))) this.skip(s, at, 'the previous run is still running');
      else if (!inWindow(at, s.def.window, s.def.timezone)) this.skip(s, at, `outside its window ${s.def.window!.start}–${s.def.window!.end}`);
      else this.start(s, at);
    }
  }

  /** The tasks held and when each runs next. */
  list(): { id: number; name: string; instance: string; next: number | null }[] {
    return [...this.tasks.values()].map((s) => ({ id: s.def.id, name: s.def.name, instance: s.def.instance, next: s.next ?? null }));
  }

  /** The set held, for the heartbeat: the server compares its digest with what the agent should hold. */
  held(): { version: number; digest?: string } {
    return { version: this.version, ...(this.digest ? { digest: this.digest } : {}) };
  }
}
