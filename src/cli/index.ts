import { parseArgs } from 'node:util';
import type { TObject } from '@sinclair/typebox';
import { ConfigError, resolveConfig, splitBooleanFlags, usage, type FieldSpec } from './config.ts';
import { AGENT_FIELDS, AgentConfig, runAgent } from './agent.ts';
import { DEMO_FIELDS, DemoConfig, runDemo } from './demo.ts';
import { SERVE_FIELDS, ServeConfig, runServe } from './serve.ts';
import { logLine } from './log.ts';
import { SERVER_VERSION } from '../server/index.ts';

interface Command {
  summary: string;
  schema: TObject;
  fields: FieldSpec[];
  run(cfg: never, env: NodeJS.ProcessEnv): Promise<() => Promise<void>>;
}

const COMMANDS: Record<string, Command> = {
  agent: { summary: 'collect metrics from PostgreSQL instances and this host, and send them', schema: AgentConfig, fields: AGENT_FIELDS, run: runAgent as Command['run'] },
  serve: { summary: 'run the server: api, keeper, worker', schema: ServeConfig, fields: SERVE_FIELDS, run: runServe as Command['run'] },
  demo: { summary: 'the whole platform on this machine, with embedded PostgreSQL', schema: DemoConfig, fields: DEMO_FIELDS, run: runDemo as Command['run'] },
};

function mainHelp(): string {
  return ['pgfleet — monitor and manage a fleet of PostgreSQL instances', '', 'Commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`), '', 'pgfleet <command> --help lists its options; pgfleet --version prints the version.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { process.stdout.write(`${mainHelp()}\n`); return name ? 0 : 2; }
  if (name === '--version' || name === '-V') { process.stdout.write(`pgfleet ${SERVER_VERSION}\n`); return 0; }
  const cmd = COMMANDS[name];
  if (!cmd) { process.stderr.write(`pgfleet: unknown command "${name}"\n\n${mainHelp()}\n`); return 2; }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  for (const f of cmd.fields) options[f.flag] = f.type === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: f.type === 'list' };
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    const split = splitBooleanFlags(rest, cmd.fields);
    values = { ...parseArgs({ args: split.rest, options, strict: true, allowPositionals: false }).values as typeof values, ...split.booleans };
  } catch (err) {
    process.stderr.write(`pgfleet ${name}: ${(err as Error).message}\n\n${usage(name, cmd.summary, cmd.fields, cmd.schema)}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(`${usage(name, cmd.summary, cmd.fields, cmd.schema)}\n`); return 0; }
  let stop: () => Promise<void>;
  try {
    const cfg = resolveConfig(cmd.schema, cmd.fields, values, process.env, values.config as string | undefined);
    stop = await cmd.run(cfg as never, process.env);
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

// A closed pipe (pgfleet agent --dry-run | head) ends the output, not the process with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err; });

process.exitCode = await main(process.argv.slice(2));
