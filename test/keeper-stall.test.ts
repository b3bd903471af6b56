// A consumer that stops delivering while messages wait for it is created again by the keeper.
// nats-server 2.9 can leave a work-queue consumer in that state after a kill -9 (unacked entries
// for messages the stream no longer holds; nats-server#6374). The test makes the same symptom
// on purpose: the shared consumer is created beforehand with max_ack_pending 1, and a stranger
// takes one message and never acks it, so the broker delivers nothing more to anyone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { encodeEnvelope, ingestSubject, INGEST_PREFIX, KEEPER_CONSUMER, messageId, STREAM_NAME } from '../src/protocol/index.ts';
import { runPgfleet, startTestNats, startTestPostgres, waitFor } from './harness/index.ts';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });
const NS = 1_000_000_000;

test('a consumer that delivers nothing while messages are pending is created again, and every message is stored once', async () => {
  const [store, nats] = await Promise.all([startTestPostgres(18), startTestNats()]);
  cleanup.push(() => store.destroy(), () => nats.destroy());
  const nc = await connect({ servers: nats.url });
  cleanup.push(() => nc.close());
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM_NAME, subjects: [`${INGEST_PREFIX}.>`], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: 120 * NS });
  await jsm.consumers.add(STREAM_NAME, { durable_name: KEEPER_CONSUMER, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: 3600 * NS, max_ack_pending: 1 });

  const js = jetstream(nc);
  const MESSAGES = 200;
  const now = Date.now();
  await Promise.all(Array.from({ length: MESSAGES }, (_, i) => {
    const seq = i + 1;
    const env = { v: 1 as const, type: 'metrics' as const, agent: 'agent-stall', instance: 'stall-1', seq, ts: now - 60_000 + seq,
      data: { collector: 'c', metrics: [{ name: 'c.value', kind: 'gauge' as const, points: [{ v: seq }] }] } };
    return js.publish(ingestSubject('default', 'agent-stall', 'metrics'), encodeEnvelope(env), { msgID: messageId('agent-stall', seq) });
  }));
  // The stranger: one message taken, never acked; with max_ack_pending 1 nothing else is delivered.
  const taken = await (await js.consumers.get(STREAM_NAME, KEEPER_CONSUMER)).next({ expires: 5000 });
  assert.ok(taken, 'the stranger got a message');
  const before = await jsm.consumers.info(STREAM_NAME, KEEPER_CONSUMER);
  assert.deepEqual([before.num_pending, before.num_ack_pending], [MESSAGES - 1, 1]);

  const keeper = runPgfleet(['serve', '--role', 'keeper', '--store', store.url, '--nats', nats.url, '--consumer-stall-s', '3']);
  cleanup.push(() => keeper.stop());
  await keeper.waitForOutput(/serve \(keeper\) started/);
  const [line] = await keeper.waitForOutput(/consumer keepers delivered nothing for \d+ s with \d+ messages pending.*creating it again/, 60_000);
  assert.match(line, /with 199 messages pending, 1 unacked/);

  const sql = postgres(store.url, { max: 1, onnotice: () => {} });
  cleanup.push(() => sql.end());
  await waitFor(`${MESSAGES} messages stored`, async () => (await sql`select count(*)::int as n from ingested`)[0].n === MESSAGES, 60_000);
  const [{ n, distinct }] = await sql`select count(*)::int as n, count(distinct seq)::int as distinct from ingested`;
  assert.deepEqual([n, distinct], [MESSAGES, MESSAGES]);
  // Created again with the keeper's own settings; the stream is drained.
  const after = await jsm.consumers.info(STREAM_NAME, KEEPER_CONSUMER);
  assert.deepEqual([after.config.max_ack_pending, after.num_pending], [50_000, 0]);
  await waitFor('the stream to be empty', async () => (await jsm.streams.info(STREAM_NAME)).state.messages === 0, 30_000);
  await keeper.stop();
  assert.match(keeper.output(), /1 stalled consumers created again/);
});
