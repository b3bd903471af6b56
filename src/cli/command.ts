import type { TObject } from '@sinclair/typebox';
import type { FieldSpec } from './config.ts';

/** What a command's module provides: its configuration schema, flags, and what it runs. */
interface Loaded<Run> {
  schema: TObject;
  fields: FieldSpec[];
  run: Run;
  /** The key of the field that one positional argument fills (`pgfleet explain FILE`). */
  positional?: string;
}

/**
 * A long-running command (agent, serve, demo): `run` resolves once started, with the
 * function that stops it. `load` imports its module only when it is the one asked for,
 * so `pgfleet catalog list` does not load the server.
 */
export interface ServiceCommand {
  kind: 'service';
  summary: string;
  load(): Promise<Loaded<(cfg: never, env: NodeJS.ProcessEnv) => Promise<() => Promise<void>>>>;
}

/**
 * A command that does its work and ends (catalog test): `run` resolves with the exit code.
 * `signal` aborts on SIGINT/SIGTERM; the command then cleans up and returns or throws.
 */
export interface OnceCommand {
  kind: 'once';
  summary: string;
  load(): Promise<Loaded<(cfg: never, env: NodeJS.ProcessEnv, signal: AbortSignal) => Promise<number>>>;
}

export type Command = ServiceCommand | OnceCommand;

/** `pgfleet <group> <command>`, e.g. `pgfleet catalog test`. */
export interface CommandGroup {
  kind: 'group';
  summary: string;
  commands: Record<string, Command>;
}
