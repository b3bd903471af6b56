// pgfleet simulate over the real transports: every message it reports sent is stored once, none is refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { startServer } from '../src/server/index.ts';
import { runPgfleet, startTestNats, startTestPostgres, waitFor, type PgfleetProcess } from './harness/index.ts';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });

interface Summary { generated: number; sent: number; rejected: number; not_sent: number; samples: number; by_type: Record<string, number>; interrupted: boolean }

/** Runs `pgfleet simulate` to its end: its exit code and its summary line. */
async function simulate(args: string[]): Promise<{ code: number | null; summary: Summary; proc: PgfleetProcess }> {
  const proc = runPgfleet(['simulate', ...args]);
  cleanup.push(() => proc.stop());
  const code = await new Promise<number | null>((resolve) => proc.child.on('exit', (c) => resolve(c)));
  const line = proc.output().split('\n').find((l) => l.startsWith('{"figure":"simulate"'));
  assert.ok(line, `no summary line:\n${proc.output().slice(-3000)}`);
  return { code, summary: JSON.parse(line) as Summary, proc };
}

test('simulate --agents 3 --speed 20 through JetStream: the keeper stores every message, no dead letters', async () => {
  const [store, nats] = await Promise.all([startTestPostgres(18), startTestNats()]);
  cleanup.push(() => store.destroy(), () => nats.destroy());
  const keeper = runPgfleet(['serve', '--role', 'keeper', '--store', store.url, '--nats', nats.url]);
  cleanup.push(() => keeper.stop());
  await keeper.waitForOutput(/serve \(keeper\) started/);

  const { code, summary, proc } = await simulate(['--agents', '3', '--duration-s', '3', '--speed', '20', '--nats', nats.url, '--progress-s', '1']);
  assert.equal(code, 0, proc.output().slice(-3000));
  assert.match(proc.output(), /simulate: \d+ messages sent of \d+, \d+ samples\/s, .* publish lag/, 'progress lines');
  assert.equal(summary.sent, summary.generated);
  assert.equal(summary.rejected + summary.not_sent, 0);
  // 60 simulated seconds of 3 agents: every type, and one inventory per instance at least.
  assert.deepEqual(Object.keys(summary.by_type).sort(), ['activity', 'heartbeat', 'inventory', 'metrics', 'statements']);
  assert.ok(summary.by_type.inventory >= 3 && summary.by_type.metrics > 100, JSON.stringify(summary.by_type));

  const sql = postgres(store.url, { max: 1 });
  cleanup.push(() => sql.end());
  await waitFor(`${summary.sent} messages stored`, async () => (await sql`select count(*)::int as n from ingested`)[0].n === summary.sent, 60_000);
  const [{ n: dead }] = await sql`select count(*)::int as n from dead_letters`;
  assert.equal(dead, 0, 'no dead letters');
  const instances = await sql`select i.name, c.name as cluster, i.role from instances i join clusters c on c.id = i.cluster_id order by i.name`;
  assert.deepEqual(instances.map((r) => [r.name, r.cluster, r.role]), [['sim-0', 'sim-0', 'primary'], ['sim-1', 'sim-0', 'replica'], ['sim-2', 'sim-1', 'primary']]);
  // Still the same once the keeper had time to see redeliveries: nothing twice.
  await keeper.stop();
  assert.equal((await sql`select count(*)::int as n from ingested`)[0].n, summary.sent);
});

test('simulate --http posts to the ingest endpoint, and SIGTERM stops it cleanly with a summary', async () => {
  const store = await startTestPostgres(18);
  cleanup.push(() => store.destroy());
  // The simulator sends for many agents: the server's forwarder token.
  const server = await startServer({ role: 'api', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7, ingestToken: 'sim-token' });
  cleanup.push(() => server.stop());

  const { code, summary } = await simulate(['--agents', '2', '--prefix', 'web', '--duration-s', '2', '--speed', '30', '--http', server.url!, '--token', 'sim-token', '--inflight', '16']);
  assert.equal(code, 0);
  assert.equal(summary.sent, summary.generated);
  const count = async () => (await server.store.sql`select count(*)::int as n from ingested`)[0].n as number;
  assert.equal(await count(), summary.sent, 'HTTP answers after commit');

  // No --duration-s: it runs until a signal, then says what it sent.
  const proc = runPgfleet(['simulate', '--agents', '2', '--prefix', 'sig', '--speed', '30', '--http', server.url!, '--token', 'sim-token']);
  cleanup.push(() => proc.stop());
  await proc.waitForOutput(/pgfleet simulate: 2 agents/);
  await waitFor('some messages sent', async () => (await count()) > summary.sent + 20, 30_000);
  await proc.stop();
  const line = proc.output().split('\n').find((l) => l.startsWith('{"figure":"simulate"'));
  assert.ok(line, proc.output().slice(-2000));
  const stopped = JSON.parse(line) as Summary;
  assert.equal(stopped.interrupted, true);
  assert.equal(stopped.rejected, 0);
  assert.equal(await count(), summary.sent + stopped.sent, 'everything it reports sent is stored');
});
