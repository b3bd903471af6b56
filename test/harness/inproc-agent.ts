import { join } from 'node:path';
import { Agent, InprocTransport, type AgentOptions } from '../../src/agent/index.ts';
import type { RunningServer } from '../../src/server/index.ts';

/**
 * An agent that hands its messages straight to the server's keeper (no broker), collecting
 * every second: the quickest real path from a target to the API for a test. Its spool goes
 * under `dir`; `overrides` replace any option.
 */
export function startInprocAgent(server: RunningServer, dir: string, opts: Pick<AgentOptions, 'id' | 'namespace' | 'node' | 'targets'> & Partial<AgentOptions>): Agent {
  const agent = new Agent({
    preset: 'standard', catalogDirs: [], spoolDir: join(dir, 'spool'), statementTimeoutMs: 5000, lockTimeoutMs: 1000,
    maxIntervalS: 1, heartbeatS: 2, nodeMetrics: false, statementsIntervalS: 0, activityIntervalS: 0,
    transport: new InprocTransport(async (bytes) => { await server.keeper.ingest([{ bytes, source: 'inproc' }]); }),
    ...opts,
  });
  agent.start();
  return agent;
}
