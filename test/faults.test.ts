// Faults on the real path: nats-server stopped and restarted, the keeper killed with SIGKILL
// and restarted, all while the agent streams. Afterwards every seq the agent produced is
// stored exactly once, and so is every sample.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import postgres from 'postgres';
import { Agent, NatsTransport } from '../src/agent/index.ts';
import { runPgfleet, startTestNats, startTestPostgres, tempDir, waitFor, type PgfleetProcess } from './harness/index.ts';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });

test('nats-server restart and keeper SIGKILL lose nothing and duplicate nothing', async (t) => {
  const [store, target, nats] = await Promise.all([startTestPostgres(18), startTestPostgres(16), startTestNats()]);
  cleanup.push(() => store.destroy(), () => target.destroy(), () => nats.destroy());
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  const keeperArgs = ['serve', '--role', 'keeper', '--store', store.url, '--nats', nats.url, '--ack-wait-s', '3'];
  let keeper: PgfleetProcess = runPgfleet(keeperArgs);
  cleanup.push(() => keeper.stop());
  await keeper.waitForOutput(/serve \(keeper\) started/);

  const agent = new Agent({
    id: 'agent-faults', namespace: 'default', node: 'faults-host', // Three instance names on one server: three times the stream for the same cost.
    targets: [1, 2, 3].map((i) => ({ name: `faults-${i}`, cluster: 'faults', url: target.url })),
    preset: 'standard', catalogDirs: [], spoolDir: join(dir.path, 'spool'), statementTimeoutMs: 5000, lockTimeoutMs: 1000,
    maxIntervalS: 1, heartbeatS: 1, nodeMetrics: true, transport: await NatsTransport.connect({ servers: nats.url, timeoutMs: 2000 }),
  });
  agent.start();
  let agentStopped = false;
  cleanup.push(() => (agentStopped ? undefined : agent.stop()));

  const sql = postgres(store.url, { max: 2 });
  cleanup.push(() => sql.end());
  const stored = async () => Number((await sql`select count(*)::int as n from ingested`.catch(() => [{ n: 0 }]))[0].n);

  await waitFor('first messages stored', async () => (await stored()) >= 30);

  // 1. The broker goes away for a few seconds; the agent keeps collecting into its spool.
  await nats.stop();
  const duringOutage = agent.spool.last;
  await waitFor('agent to keep producing during the outage', () => agent.spool.last >= duringOutage + 20, 30_000);
  assert.ok(agent.spool.stats().messages > 0, 'messages wait in the spool while the broker is down');
  await nats.restart();
  const afterRestart = await stored();
  await waitFor('ingest to resume after the broker restart', async () => (await stored()) > afterRestart + 20, 60_000);

  // 2. The keeper dies mid-stream without a chance to clean up, and comes back.
  await keeper.kill();
  const killedAt = agent.spool.last;
  await waitFor('agent to produce while the keeper is dead', () => agent.spool.last >= killedAt + 20, 30_000);
  keeper = runPgfleet(keeperArgs);
  await keeper.waitForOutput(/serve \(keeper\) started/);

  // 3. Stop producing, let everything drain, then count.
  await new Promise((r) => setTimeout(r, 2000));
  await agent.stop(60_000);
  agentStopped = true;
  const last = agent.spool.last;
  assert.equal(agent.spool.stats().messages, 0, 'the agent spool drained');
  assert.equal(agent.spool.stats().dropped, 0, 'the spool dropped nothing');
  await waitFor(`all ${last} seqs stored`, async () => (await stored()) >= last, 90_000);
  // Redeliveries after the kill arrive up to ack-wait later; give them time to (not) duplicate.
  await new Promise((r) => setTimeout(r, 4000));

  const seqs = (await sql`select seq::int as seq from ingested i join agents a on a.id = i.agent_id where a.name = 'agent-faults' order by seq`).map((r) => r.seq as number);
  assert.equal(seqs.length, last, `stored ${seqs.length} messages, the agent produced ${last}`);
  assert.deepEqual(seqs, Array.from({ length: last }, (_, i) => i + 1), 'every seq from 1 to the last is stored once');
  const [dupes] = await sql`select count(*)::int as n from (select series_id, ts from raw_samples group by 1, 2 having count(*) > 1) d`;
  assert.equal(dupes.n, 0, 'no sample is stored twice');
  const [samples] = await sql`select count(*)::int as n from raw_samples`;
  assert.equal(samples.n, agent.produced.samples, `stored ${samples.n} samples, the agent produced ${agent.produced.samples}`);
  t.diagnostic(`agent produced ${last} messages with ${agent.produced.samples} samples; stored ${seqs.length} messages, ${samples.n} samples, 0 duplicates`);
  const [dead] = await sql`select count(*)::int as n from dead_letters`;
  assert.equal(dead.n, 0, 'nothing went to the dead letters');
  await keeper.stop();
});
