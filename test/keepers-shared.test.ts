// Several keepers on the one durable JetStream consumer share the work and never write twice.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { encodeEnvelope, ingestSubject, messageId } from '../src/protocol/index.ts';
import { runPgfleet, startTestNats, startTestPostgres, waitFor, type PgfleetProcess } from './harness/index.ts';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });

test('two keepers split one stream between them, each message stored once', async () => {
  const [store, nats] = await Promise.all([startTestPostgres(18), startTestNats()]);
  cleanup.push(() => store.destroy(), () => nats.destroy());
  const args = ['serve', '--role', 'keeper', '--store', store.url, '--nats', nats.url];
  const keepers: PgfleetProcess[] = [runPgfleet(args), runPgfleet(args)];
  for (const k of keepers) cleanup.push(() => k.stop());
  await Promise.all(keepers.map((k) => k.waitForOutput(/serve \(keeper\) started/)));

  const MESSAGES = 6000;
  const nc = await connect({ servers: nats.url });
  cleanup.push(() => nc.close());
  const js = jetstream(nc);
  const now = Date.now();
  for (let i = 0; i < MESSAGES; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, k) => {
      const seq = i + k + 1;
      const agent = `agent-${seq % 3}`;
      const env = { v: 1 as const, type: 'metrics' as const, agent, instance: `shared-${seq % 3}`, seq, ts: now - 60_000 + seq,
        data: { collector: 'c', metrics: [{ name: 'c.value', kind: 'gauge' as const, points: [{ v: seq }, { l: { k: 'b' }, v: -seq }] }] } };
      return js.publish(ingestSubject('default', agent, 'metrics'), encodeEnvelope(env), { msgID: messageId(agent, seq) });
    }));
  }
  const sql = postgres(store.url, { max: 1 });
  cleanup.push(() => sql.end());
  await waitFor(`${MESSAGES} messages stored`, async () => (await sql`select count(*)::int as n from ingested`)[0].n === MESSAGES, 120_000);
  await Promise.all(keepers.map((k) => k.stop()));
  const [{ n: samples }] = await sql`select count(*)::int as n from raw_samples`;
  assert.equal(samples, 2 * MESSAGES, 'every sample once');
  const stored = keepers.map((k) => Number(/keeper stopped: (\d+) messages stored/.exec(k.output())?.[1] ?? NaN));
  assert.equal(stored[0] + stored[1], MESSAGES, `the keepers stored ${stored.join(' + ')}`);
  assert.ok(stored[0] > 0 && stored[1] > 0, `both keepers took part: ${stored.join(' + ')}`);
});
