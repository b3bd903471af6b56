import { parseArgs } from 'node:util';
import type { TObject } from '@sinclair/typebox';
import { ConfigError, resolveConfig, splitBooleanFlags, usage, type FieldSpec } from './config.ts';
import { CATALOG_COMMANDS } from './catalog.ts';
import { ANON_COMMANDS } from './anon.ts';
import type { Command, CommandGroup, OnceCommand, ServiceCommand } from './command.ts';
import { logLine } from './log.ts';
import { isPostgresCloseRace } from '../pg-errors/index.ts';

type ServiceRun = Awaited<ReturnType<ServiceCommand['load']>>['run'];
type OnceRun = Awaited<ReturnType<OnceCommand['load']>>['run'];

const COMMANDS: Record<string, Command | CommandGroup> = {
  agent: {
    kind: 'service', summary: 'collect metrics from PostgreSQL instances and this host, and send them',
    load: async () => { const m = await import('./agent.ts'); return { schema: m.AgentConfig, fields: m.AGENT_FIELDS, run: m.runAgent as ServiceRun }; },
  },
  enroll: {
    kind: 'once', summary: "register this agent with a namespace's enrollment token: its own credential and NATS key",
    load: async () => { const m = await import('./enroll.ts'); return { schema: m.EnrollConfig, fields: m.ENROLL_FIELDS, run: m.runEnroll as OnceRun }; },
  },
  serve: {
    kind: 'service', summary: 'run the server: api, keeper, worker',
    load: async () => { const m = await import('./serve.ts'); return { schema: m.ServeConfig, fields: m.SERVE_FIELDS, run: m.runServe as ServiceRun }; },
  },
  demo: {
    kind: 'service', summary: 'the whole platform on this machine, with embedded PostgreSQL',
    load: async () => { const m = await import('./demo.ts'); return { schema: m.DemoConfig, fields: m.DEMO_FIELDS, run: m.runDemo as ServiceRun }; },
  },
  simulate: {
    kind: 'once', summary: 'send what N fake agents would, over NATS or HTTP: for benchmarks and load tests',
    load: async () => { const m = await import('./simulate.ts'); return { schema: m.SimulateConfig, fields: m.SIMULATE_FIELDS, run: m.runSimulate as OnceRun }; },
  },
  explain: {
    kind: 'once', summary: 'read an EXPLAIN plan (TEXT or JSON, as pasted): time per node and hints',
    load: async () => { const m = await import('./explain.ts'); return { schema: m.ExplainConfig, fields: m.EXPLAIN_FIELDS, run: m.runExplain as OnceRun, positional: 'file' }; },
  },
  tune: {
    kind: 'once', summary: 'recommend PostgreSQL settings from the hardware and the workload, with the reason for each',
    load: async () => { const m = await import('./tune.ts'); return { schema: m.TuneConfig, fields: m.TUNE_FIELDS, run: m.runTune as OnceRun }; },
  },
  anon: { kind: 'group', summary: 'find personal data and copy databases with it masked: scan, sync, dump, restore', commands: ANON_COMMANDS },
  catalog: { kind: 'group', summary: 'the metric catalog: list its collectors, test them on every PostgreSQL major', commands: CATALOG_COMMANDS },
};

const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';

function listOf(commands: Record<string, Command | CommandGroup>, prefix = ''): string[] {
  const names = Object.keys(commands).map((n) => `${prefix}${n}`);
  const width = Math.max(8, ...names.map((n) => n.length));
  return Object.entries(commands).map(([n, c]) => `  ${`${prefix}${n}`.padEnd(width)}  ${c.summary}`);
}

function mainHelp(): string {
  return ['pgfleet — monitor and manage a fleet of PostgreSQL instances', '', 'Commands:', ...listOf(COMMANDS), '',
    'pgfleet <command> --help lists its options; pgfleet --version prints the version.'].join('\n');
}

function groupHelp(name: string, group: CommandGroup): string {
  return [`pgfleet ${name} — ${group.summary}`, '', 'Commands:', ...listOf(group.commands, `${name} `), '',
    `pgfleet ${name} <command> --help lists its options.`].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (!name || isHelp(name)) { process.stdout.write(`${mainHelp()}\n`); return name ? 0 : 2; }
  if (name === '--version' || name === '-V') {
    const { SERVER_VERSION } = await import('../server/index.ts');
    process.stdout.write(`pgfleet ${SERVER_VERSION}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) { process.stderr.write(`pgfleet: unknown command "${name}"\n\n${mainHelp()}\n`); return 2; }
  let cmd: Command;
  if (entry.kind === 'group') {
    const [sub, ...subRest] = rest;
    if (!sub || isHelp(sub)) { (sub ? process.stdout : process.stderr).write(`${groupHelp(name, entry)}\n`); return sub ? 0 : 2; }
    if (!Object.hasOwn(entry.commands, sub)) { process.stderr.write(`pgfleet: unknown command "${name} ${sub}"\n\n${groupHelp(name, entry)}\n`); return 2; }
    cmd = entry.commands[sub];
    name = `${name} ${sub}`;
    rest = subRest;
  } else {
    cmd = entry;
  }
  return cmd.kind === 'once' ? runOnce(name, cmd, rest) : runService(name, cmd, rest);
}

interface Spec { summary: string; schema: TObject; fields: FieldSpec[]; positional?: string }

/** Parses and resolves a command's options; a number is the exit code when it must not run (help, bad usage). */
function configOf(name: string, cmd: Spec, args: string[]): { cfg: unknown } | number {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  for (const f of cmd.fields) options[f.flag] = f.type === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: f.type === 'list' };
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    const split = splitBooleanFlags(args, cmd.fields);
    const parsed = parseArgs({ args: split.rest, options, strict: true, allowPositionals: cmd.positional !== undefined });
    values = { ...parsed.values as typeof values, ...split.booleans };
    if (parsed.positionals.length > 1) throw new Error(`one ${cmd.positional} at most, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
    const field = cmd.fields.find((f) => f.key === cmd.positional);
    if (field && parsed.positionals.length === 1) values[field.flag] = parsed.positionals[0];
  } catch (err) {
    process.stderr.write(`pgfleet ${name}: ${(err as Error).message}\n\n${usage(name, cmd.summary, cmd.fields, cmd.schema)}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(`${usage(name, cmd.summary, cmd.fields, cmd.schema)}\n`); return 0; }
  try {
    return { cfg: resolveConfig(cmd.schema, cmd.fields, values, process.env, values.config as string | undefined) };
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`pgfleet ${name}: ${err.message}\n`); return 2; }
    throw err;
  }
}

/** A long-running command: runs until SIGINT or SIGTERM, then calls the stop function it returned. */
async function runService(name: string, command: ServiceCommand, args: string[]): Promise<number> {
  const cmd = await command.load();
  const parsed = configOf(name, { summary: command.summary, ...cmd }, args);
  if (typeof parsed === 'number') return parsed;
  let stop: () => Promise<void>;
  survivePostgresCloseRace();
  try {
    stop = await cmd.run(parsed.cfg as never, process.env);
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`pgfleet ${name}: ${err.message}\n`); return 2; }
    logLine('error', `pgfleet ${name}: ${(err as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string) => {
      if (stopping) { logLine('warn', `${sig} again: exiting now`); process.exit(130); }
      stopping = true;
      logLine('info', `${sig}: stopping`);
      stop().catch((err) => logLine('error', `while stopping: ${(err as Error).message}`)).finally(resolve);
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
  return 0;
}

/**
 * A service outlives the PostgreSQL servers it talks to (the store, a monitored instance):
 * postgres.js' close race is logged and survived; anything else that reaches the top still
 * ends the process, as Node would.
 */
function survivePostgresCloseRace(): void {
  let closeRaces = 0;
  const onError = (err: unknown, kind: string) => {
    if (isPostgresCloseRace(err)) {
      closeRaces++;
      logLine('warn', `a PostgreSQL connection closed mid-write (${(err as Error).message}); ${closeRaces} so far, going on`);
      return;
    }
    logLine('error', `${kind}: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  };
  process.on('uncaughtException', (err) => onError(err, 'uncaught exception'));
  process.on('unhandledRejection', (err) => onError(err, 'unhandled rejection'));
}

/**
 * A one-shot command: its promise gives the exit code. SIGINT or SIGTERM aborts its
 * signal, and it cleans up and returns; a second signal exits at once.
 */
async function runOnce(name: string, command: OnceCommand, args: string[]): Promise<number> {
  const cmd = await command.load();
  const parsed = configOf(name, { summary: command.summary, ...cmd }, args);
  if (typeof parsed === 'number') return parsed;
  const abort = new AbortController();
  let signalCode = 0;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (abort.signal.aborted) { logLine('warn', `${sig} again: exiting now`); process.exit(130); }
    signalCode = sig === 'SIGINT' ? 130 : 143;
    logLine('info', `${sig}: stopping`);
    abort.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await cmd.run(parsed.cfg as never, process.env, abort.signal);
    return signalCode || code;
  } catch (err) {
    if (signalCode) return signalCode;
    if (err instanceof ConfigError) { process.stderr.write(`pgfleet ${name}: ${err.message}\n`); return 2; }
    logLine('error', `pgfleet ${name}: ${(err as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// A closed pipe (pgfleet agent --dry-run | head) ends the output, not the process with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err; });

process.exitCode = await main(process.argv.slice(2));
