import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Servers started with `ephemeral` and scratch folders, cleaned when this process exits. */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  // A normal run stops its servers and removes its folders itself; this is for a second
  // Ctrl-C (process.exit) or an uncaught error. Only synchronous work is possible here.
  process.on('exit', () => {
    // SIGQUIT is PostgreSQL's immediate shutdown: the postmaster ends its backends and
    // removes its shared memory and pid file itself.
    for (const c of children) c.kill('SIGQUIT');
    waitGone([...children].map((c) => c.pid).filter((p): p is number => p !== undefined), 5_000);
    for (const d of dirs) {
      try { rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }); } catch { /* exiting: nothing left to report to */ }
    }
  });
}

/** Shut the server down when this process exits without having stopped it. */
export function shutDownOnExit(child: ChildProcess): void {
  hook();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/**
 * A fresh folder under the system's temporary directory, traversable by the postgres
 * OS user, for scratch servers. `remove()` deletes it; so does this process's exit,
 * after the ephemeral servers in it are down.
 */
export function scratchDir(prefix: string): { path: string; remove(): void } {
  hook();
  const path = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(path, 0o755);
  dirs.add(path);
  return { path, remove: () => { rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }); dirs.delete(path); } };
}

/** Blocks until the processes are gone or zombies (Linux /proc), at most `timeoutMs`. */
function waitGone(pids: number[], timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const alive = (pid: number) => {
    try {
      // The state follows the command name in parentheses: "1234 (postgres) S ...".
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };
  while (pids.some(alive) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20);
}
