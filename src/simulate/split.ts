import { encodeEnvelope, MAX_MESSAGE_BYTES, ProtocolError, splitMetrics, splitStatements, type Envelope } from '../protocol/index.ts';

/** Below these, a message is far under 1 MiB and is not encoded to check (a point costs 30–60 bytes, an entry 200–400). */
const CHECK_POINTS = 8000;
const CHECK_ENTRIES = 1500;

/**
 * A message as the agent would send it: itself, or, when its encoding would pass
 * the 1 MiB limit, halves (metrics by family, then by point; statements by entry,
 * texts with their entries), as src/agent/agent.ts splits them.
 */
export function splitToFit(env: Envelope): Envelope[] {
  const big = env.type === 'metrics' ? env.data.metrics.reduce((n, f) => n + f.points.length, 0) > CHECK_POINTS
    : env.type === 'statements' ? env.data.entries.length + (env.data.texts?.length ?? 0) > CHECK_ENTRIES : false;
  if (!big || fits(env)) return [env];
  const parts = env.type === 'metrics' ? splitMetrics(env.data) : env.type === 'statements' ? splitStatements(env.data) : undefined;
  if (!parts) return [env];
  return parts.flatMap((data) => splitToFit({ ...env, data } as Envelope));
}

function fits(env: Envelope): boolean {
  try {
    return encodeEnvelope(env).byteLength <= MAX_MESSAGE_BYTES;
  } catch (err) {
    if (err instanceof ProtocolError && err.code === 'PGFLEET_PROTOCOL_TOO_LARGE') return false;
    throw err;
  }
}
