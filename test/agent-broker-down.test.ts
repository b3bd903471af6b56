// An agent started while the broker is unreachable collects into its spool at once
// and sends everything when the broker answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Agent, NatsTransport } from '../src/agent/index.ts';
import { ensureIngestStream } from '../src/server/keeper/index.ts';
import { STREAM_NAME } from '../src/protocol/index.ts';
import { startTestNats, startTestPostgres, tempDir, waitFor } from './harness/index.ts';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });

test('an agent started before its broker spools, then sends everything once', async () => {
  const [pg, nats] = await Promise.all([startTestPostgres(16), startTestNats()]);
  cleanup.push(() => pg.destroy(), () => nats.destroy());
  await nats.stop();
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  const agent = new Agent({
    id: 'agent-early', namespace: 'default', node: 'early-host', targets: [{ name: 'early-1', cluster: 'early', url: pg.url }],
    preset: 'minimal', catalogDirs: [], spoolDir: join(dir.path, 'spool'), statementTimeoutMs: 5000, lockTimeoutMs: 1000,
    maxIntervalS: 1, heartbeatS: 1, nodeMetrics: false, transport: await NatsTransport.connect({ servers: nats.url, timeoutMs: 1000 }),
  });
  agent.start();
  let stopped = false;
  cleanup.push(() => (stopped ? undefined : agent.stop()));
  await waitFor('messages to wait in the spool', () => agent.spool.stats().messages >= 10, 30_000);

  await nats.restart();
  const nc = await connect({ servers: nats.url });
  cleanup.push(() => nc.close());
  await ensureIngestStream(nc);
  await waitFor('the spool to drain', () => agent.spool.stats().messages === 0, 60_000);
  await agent.stop(30_000);
  stopped = true;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAM_NAME);
  assert.equal(info.state.messages, agent.spool.last, 'every message the agent produced is in the stream, once');
});
