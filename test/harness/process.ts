import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PGFLEET_BIN = fileURLToPath(new URL('../../bin/pgfleet.js', import.meta.url));

export interface PgfleetProcess {
  child: ChildProcess;
  /** Everything it printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves with the first match of `re` in its output. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after 15 s; resolves when it exited. */
  stop(): Promise<void>;
  /** SIGKILL at once. */
  kill(): Promise<void>;
}

/** Runs `pgfleet <args>` as a child process, the way a user would. */
export function runPgfleet(args: string[], env: NodeJS.ProcessEnv = {}, entry: string[] = [PGFLEET_BIN]): PgfleetProcess {
  const child = spawn(process.execPath, [...entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => out,
    waitForOutput: async (re, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (!alive()) throw new Error(`pgfleet ${args[0]} exited (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${out.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`pgfleet ${args[0]} did not print ${re} in ${timeoutMs} ms:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: async () => {
      if (!alive()) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
    kill: async () => {
      if (!alive()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * `pgfleet <args>` under a supervisor, as systemd would run a server role: an exit nobody
 * asked for is recorded in `unexpectedExits` (a fault test fails on it) and the process is
 * started again a second later, so one crash does not hide what the rest of a run shows.
 */
export class SupervisedPgfleet {
  readonly unexpectedExits: string[] = [];
  /** Every process started, in order (a restart after a crash may overlap a planned one). */
  private readonly procs: PgfleetProcess[] = [];
  private readonly killed = new Set<PgfleetProcess>();
  private closing = false;

  constructor(private readonly args: string[], private readonly ready: RegExp) {}

  /** Starts one more process and waits until it prints `ready`. */
  async start(): Promise<void> {
    const p = runPgfleet(this.args);
    this.procs.push(p);
    p.child.on('exit', (code, signal) => {
      if (this.killed.has(p) || this.closing) return;
      this.unexpectedExits.push(`pgfleet ${this.args[0]} exited by itself (${code ?? signal}):\n${p.output().slice(-3000)}`);
      setTimeout(() => { if (!this.closing) this.start().catch(() => {}); }, 1000);
    });
    await p.waitForOutput(this.ready);
  }

  /** SIGKILL of every process still running. */
  async kill(): Promise<void> {
    const live = this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of live) this.killed.add(p);
    await Promise.all(live.map((p) => p.kill()));
  }

  /** SIGTERM to every process; no restarts after this. */
  async stop(): Promise<void> {
    this.closing = true;
    await Promise.all(this.procs.map((p) => p.stop()));
  }

  /** What all the processes printed, in the order they were started. */
  output(): string { return this.procs.map((p) => p.output()).join(''); }
}
