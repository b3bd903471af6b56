// End-to-end ingest: messages published to JetStream → committed in the store by a keeper
// process, in samples/s; baseline: a raw COPY of the same number of rows into a table of
// the same shape and index in the same PostgreSQL. Prints JSON lines, appends bench/RESULTS.md.
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { encodeEnvelope, ingestSubject, messageId, type Envelope } from '../src/protocol/index.ts';
import { openStore } from '../src/store/index.ts';
import { runPgfleet, startTestNats, startTestPostgres, waitFor } from '../test/harness/index.ts';
import { machine, record } from './machine.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '40000' }, samples: { type: 'string', default: '50' }, agents: { type: 'string', default: '20' } } });
const MESSAGES = Number(values.messages);
const PER_MSG = Number(values.samples);
const AGENTS = Number(values.agents);
const TOTAL = MESSAGES * PER_MSG;

const pg = await startTestPostgres(18, { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', max_wal_size: '4GB', shared_buffers: '512MB' });
const nats = await startTestNats();
const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
const [{ version }] = await sql`select current_setting('server_version') as version`;
// Migrations and today's partitions exist before the clock starts, as in a running server.
const store = await openStore(pg.url);
const base = Date.now() - 3_600_000;
await store.timeseries.ensurePartitions(base - 86_400_000, Date.now() + 86_400_000);
await store.close();

const keeper = runPgfleet(['serve', '--role', 'keeper', '--store', pg.url, '--nats', nats.url]);
await keeper.waitForOutput(/serve \(keeper\) started/);

// Messages are encoded before the clock starts: the agent's work is not measured here.
const encoded: { subject: string; id: string; bytes: Uint8Array }[] = [];
for (let i = 0; i < MESSAGES; i++) {
  const a = i % AGENTS;
  const seq = Math.floor(i / AGENTS) + 1;
  const env: Envelope = {
    v: 1, type: 'metrics', agent: `bench-${a}`, instance: `bench-${a}`, seq, ts: base + seq * 1000,
    data: { collector: 'pg_stat_database', interval_ms: 1000, metrics: [{
      name: 'pg_stat_database.xact_commit', kind: 'counter',
      points: Array.from({ length: PER_MSG }, (_, k) => ({ l: { datname: `db${k}` }, v: seq * 10 + k })),
    }] },
  };
  encoded.push({ subject: ingestSubject('bench', env.agent, 'metrics'), id: messageId(env.agent, seq), bytes: encodeEnvelope(env) });
}
const avgBytes = encoded.reduce((s, e) => s + e.bytes.byteLength, 0) / MESSAGES;

const nc = await connect({ servers: nats.url });
const js = jetstream(nc);
const t0 = performance.now();
const WINDOW = 1000;
for (let i = 0; i < MESSAGES; i += WINDOW) {
  await Promise.all(encoded.slice(i, i + WINDOW).map((e) => js.publish(e.subject, e.bytes, { msgID: e.id })));
}
const tPublished = performance.now();
await waitFor('every message committed', async () => (await sql`select count(*)::int as n from ingested`)[0].n >= MESSAGES, 600_000, 50);
const tDone = performance.now();
const [{ n: storedSamples }] = await sql`select count(*)::int as n from samples`;
if (storedSamples !== TOTAL) throw new Error(`stored ${storedSamples} samples, expected ${TOTAL}`);
const [{ bytes: sampleBytes }] = await sql`select sum(pg_total_relation_size(c.oid))::float8 as bytes from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'samples'::regclass`;
await keeper.stop();
await nc.close();

// Baseline: the same rows by COPY into a table of the same shape and index.
await sql`create table copy_baseline (series_id int not null, ts bigint not null, value float8 not null)`;
await sql`create index on copy_baseline (series_id, ts)`;
const t1 = performance.now();
const stream = await sql`copy copy_baseline (series_id, ts, value) from stdin`.writable();
const CHUNK = 10_000;
for (let i = 0; i < TOTAL; i += CHUNK) {
  let text = '';
  for (let j = i; j < Math.min(TOTAL, i + CHUNK); j++) {
    const msg = Math.floor(j / PER_MSG);
    text += `${(msg % AGENTS) * PER_MSG + (j % PER_MSG) + 1}\t${base + (Math.floor(msg / AGENTS) + 1) * 1000}\t${j}\n`;
  }
  if (!stream.write(text)) await new Promise((r) => stream.once('drain', r));
}
await new Promise<void>((resolve, reject) => { stream.once('finish', resolve); stream.once('error', reject); stream.end(); });
const t2 = performance.now();
const [{ bytes: baseBytes }] = await sql`select pg_total_relation_size('copy_baseline')::float8 as bytes`;
await sql.end();
await nats.destroy();
await pg.destroy();

const e2eRate = TOTAL / ((tDone - t0) / 1000);
const copyRate = TOTAL / ((t2 - t1) / 1000);
const m = machine({ postgres: version as string, nats_server: 'debian nats-server' });
record('ingest', [
  { figure: 'e2e_samples_per_s', value: Math.round(e2eRate), messages: MESSAGES, samples_per_message: PER_MSG, agents: AGENTS, avg_message_bytes: Math.round(avgBytes), publish_s: +((tPublished - t0) / 1000).toFixed(2), total_s: +((tDone - t0) / 1000).toFixed(2) },
  { figure: 'copy_baseline_rows_per_s', value: Math.round(copyRate), rows: TOTAL, total_s: +((t2 - t1) / 1000).toFixed(2) },
  { figure: 'ratio_e2e_to_copy', value: +(e2eRate / copyRate).toFixed(3), target: 0.2 },
  { figure: 'bytes_per_sample', store: +(sampleBytes / TOTAL).toFixed(1), copy_baseline: +(baseBytes / TOTAL).toFixed(1) },
], m, `End-to-end: ${MESSAGES} MessagePack messages of ${PER_MSG} samples from ${AGENTS} agents published to JetStream (1,000 in flight) and committed by one \`pgfleet serve --role keeper\` process; baseline: one COPY of the same ${TOTAL} rows into (int, bigint, float8) with a btree on (series_id, ts). PostgreSQL with fsync and synchronous_commit on.`);
