import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { freePort } from '../../src/pg-embedded/index.ts';
import { tempDir } from './tmp.ts';

/** Where Debian installs nats-server; PATH is searched first. */
function natsServerBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server || ls /usr/sbin/nats-server'], { encoding: 'utf8' }).trim().split('\n')[0];
  } catch {
    throw new Error('nats-server is not installed (Debian: apt-get install -y nats-server; .ci/run does it)');
  }
}

export interface TestNats {
  url: string;
  port: number;
  /** The running server's process id (a restart gives a new one). */
  pid(): number;
  /** Stops the server (SIGTERM) and waits for it; the JetStream store stays. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL: no flush, no goodbye to clients) and waits for it; the JetStream store stays. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  destroy(): Promise<void>;
  /** With a configuration: writes it anew and has the server reload it (SIGHUP). */
  reload(config: string): Promise<void>;
}

export interface TestNatsOptions {
  /** Extra nats-server configuration (an authorization block, for instance), written to a file it reads. */
  config?: string;
}

/** nats-server with JetStream on a free port, its store in a temporary directory. */
export async function startTestNats(opts: TestNatsOptions = {}): Promise<TestNats> {
  const bin = natsServerBinary();
  const dir = tempDir('pgfleet-nats-');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exit: Promise<void> = Promise.resolve();
  const start = async () => {
    const conf = join(dir.path, 'nats.conf');
    if (opts.config !== undefined) writeFileSync(conf, withJetStream(opts.config));
    child = spawn(bin, [...(opts.config !== undefined ? ['-c', conf] : ['-js', '-sd', join(dir.path, 'js')]), '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    exit = new Promise((r) => child!.on('exit', () => r()));
    await waitPort(port);
  };
  // JetStream in the file itself: nats-server 2.9 turns JetStream off on a reload (SIGHUP) when only the -js flag enabled it.
  const withJetStream = (config: string) => `jetstream { store_dir: ${JSON.stringify(join(dir.path, 'js'))} }\n${config}`;
  const signal = async (sig: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode) return;
    child.kill(sig);
    await exit;
  };
  const stop = () => signal('SIGTERM');
  await start();
  return {
    url: `nats://127.0.0.1:${port}`, port, pid: () => child!.pid!,
    stop, restart: start, kill: () => signal('SIGKILL'),
    destroy: async () => { await stop(); dir.remove(); },
    reload: async (config: string) => {
      writeFileSync(join(dir.path, 'nats.conf'), withJetStream(config));
      opts.config = config;
      child?.kill('SIGHUP');
    },
  };
}

/** Polls until something accepts TCP connections on the port. */
export async function waitPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
