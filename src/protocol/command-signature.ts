// Ed25519 signatures of commands. The signature covers the command's JSON text exactly as sent, so
// nothing has to be canonicalised: the agent verifies the bytes it got, then parses them.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ACTION_PARAMS, CommandSchema, type Action, type Command, type SignedCommand } from './commands.ts';

/** A new Ed25519 key pair as PEM (PKCS#8 private, SPKI public). */
export function generateCommandKeys(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** The public key of a PEM private key. */
export function publicKeyOf(privatePem: string): string {
  return createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }) as string;
}

export function signCommand(command: Command, privateKey: KeyObject | string): SignedCommand {
  const text = JSON.stringify(command);
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return { command: text, sig: sign(null, Buffer.from(text), key).toString('base64') };
}

const checkCommand = TypeCompiler.Compile(CommandSchema);
const checkParams = Object.fromEntries(Object.entries(ACTION_PARAMS).map(([a, s]) => [a, TypeCompiler.Compile(s)])) as unknown as Record<Action, ReturnType<typeof TypeCompiler.Compile>>;

/** Why an agent refuses a command; `command` is set when its text could be read. */
export class CommandRefusal extends Error {
  override name = 'CommandRefusal';
  constructor(readonly code: 'PGFLEET_COMMAND_SIGNATURE' | 'PGFLEET_COMMAND_MALFORMED' | 'PGFLEET_COMMAND_EXPIRED' | 'PGFLEET_COMMAND_NOT_ALLOWED'
    | 'PGFLEET_COMMAND_WRONG_AGENT' | 'PGFLEET_COMMAND_REPLAYED' | 'PGFLEET_COMMAND_REPLICA' | 'PGFLEET_COMMAND_UNKNOWN_INSTANCE',
  message: string, readonly command?: Command) {
    super(message);
  }
}

/** Commands issued this far in the future are refused: the agent's and server's clocks disagree too much. */
export const MAX_CLOCK_SKEW_MS = 60_000;

/**
 * Verifies and reads a signed command for `agent` at time `now`: signature first (nothing of an
 * unsigned text is trusted), then its shape, its agent, its expiry, its action's parameters and the allowlist.
 */
export function openCommand(signed: unknown, o: { publicKey: KeyObject; agent: string; allow: ReadonlySet<string>; now: number; ignoreExpiry?: boolean }): Command {
  const s = signed as Partial<SignedCommand> | null;
  if (!s || typeof s.command !== 'string' || typeof s.sig !== 'string') throw new CommandRefusal('PGFLEET_COMMAND_MALFORMED', 'expected { command, sig }');
  let ok = false;
  try { ok = verify(null, Buffer.from(s.command), o.publicKey, Buffer.from(s.sig, 'base64')); } catch { ok = false; }
  let parsed: unknown;
  try { parsed = JSON.parse(s.command); } catch { parsed = undefined; }
  const readable = checkCommand.Check(parsed) ? parsed as Command : undefined;
  if (!ok) throw new CommandRefusal('PGFLEET_COMMAND_SIGNATURE', "the signature does not match the server's command key", readable);
  if (!readable) {
    const first = [...checkCommand.Errors(parsed)][0];
    throw new CommandRefusal('PGFLEET_COMMAND_MALFORMED', `the command is malformed: ${first ? `${first.path || '/'}: ${first.message}` : 'not JSON'}`);
  }
  const c = readable;
  if (c.agent !== o.agent) throw new CommandRefusal('PGFLEET_COMMAND_WRONG_AGENT', `the command is for agent ${c.agent}, this is ${o.agent}`, c);
  if (!o.ignoreExpiry && c.expires_at <= o.now) throw new CommandRefusal('PGFLEET_COMMAND_EXPIRED', `the command expired ${Math.round((o.now - c.expires_at) / 1000)} s ago`, c);
  if (c.issued_at > o.now + MAX_CLOCK_SKEW_MS) throw new CommandRefusal('PGFLEET_COMMAND_EXPIRED', `the command was issued ${Math.round((c.issued_at - o.now) / 1000)} s in the future: the clocks of server and agent disagree`, c);
  if (!(c.action in ACTION_PARAMS)) throw new CommandRefusal('PGFLEET_COMMAND_NOT_ALLOWED', `unknown action "${c.action}"`, c);
  if (!o.allow.has(c.action)) throw new CommandRefusal('PGFLEET_COMMAND_NOT_ALLOWED', `action "${c.action}" is not on this agent's allowlist`, c);
  const bad = paramsProblem(c.action as Action, c.params);
  if (bad) throw new CommandRefusal('PGFLEET_COMMAND_MALFORMED', bad, c);
  return c;
}

/** What is wrong with an action's parameters, or undefined. */
export function paramsProblem(action: Action, params: unknown): string | undefined {
  const check = checkParams[action];
  if (!check) return `unknown action "${action}"`;
  if (check.Check(params)) return undefined;
  const first = [...check.Errors(params)][0];
  return `parameters of ${action}: ${first ? `${first.path || '/'}: ${first.message}` : 'invalid'}`;
}

/** A PEM public key as a KeyObject, with a clear error. */
export function commandPublicKey(pem: string): KeyObject {
  try {
    const k = createPublicKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`it is a ${k.asymmetricKeyType} key`);
    return k;
  } catch (err) {
    throw new Error(`the server's command key must be an Ed25519 public key in PEM: ${(err as Error).message}`, { cause: err });
  }
}
