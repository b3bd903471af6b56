// A message PostgreSQL refuses must not block the stream: the keeper isolates it into the dead letters and
// stores the rest. The schemas keep out what PostgreSQL's types cannot hold (a NUL in text, an int4 past 2^31),
// so the refusals here come from constraints the store has on top of them (a DBA's CHECK, a later migration).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEnvelope, type Envelope } from '../src/protocol/index.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { DEFAULT_ROUTES, Keeper, LiveReceiver, StoreReceiver } from '../src/server/keeper/index.ts';
import { startTestPostgres, type TestPostgres } from './harness/index.ts';

let pg: TestPostgres;
let store: Store;
before(async () => {
  pg = await startTestPostgres(17);
  store = await openStore(pg.url);
  await store.sql`alter table events add constraint test_refused check (message <> 'refuse me')`;
  await store.sql`alter table statement_texts add constraint test_refused check (text <> 'refuse me')`;
});
after(async () => { await store?.close(); await pg?.destroy(); });

const metrics = (seq: number): Envelope => ({
  v: 1, type: 'metrics', agent: 'agent-iso', instance: 'iso-1', seq, ts: Date.now(),
  data: { collector: 'pg_up', metrics: [{ name: 'pg_up.up', kind: 'gauge', points: [{ v: 1 }] }] },
});

test('one refused message goes to the dead letters; the rest of its batch is stored', async () => {
  const keeper = new Keeper(store, { routes: DEFAULT_ROUTES, receivers: [new StoreReceiver(store), new LiveReceiver()] });
  const bad: Envelope = { v: 1, type: 'event', agent: 'agent-iso', instance: 'iso-1', seq: 4, ts: Date.now(),
    data: { kind: 'x', severity: 'info', message: 'refuse me' } };
  const badText: Envelope = { v: 1, type: 'statements', agent: 'agent-iso', instance: 'iso-1', seq: 7, ts: Date.now(),
    data: { interval_ms: 1000, entries: [], texts: [{ queryid: '1', text: 'refuse me' }] } };
  const batch = [1, 2, 3].map(metrics).concat([bad], [5, 6].map(metrics), [badText], [8].map(metrics));
  const result = await keeper.ingest(batch.map((e) => ({ bytes: encodeEnvelope(e), source: 'test' })));
  assert.equal(result.accepted, 6);
  assert.deepEqual(result.dead.map((d) => d.seq).sort(), [4, 7]);
  const seqs = (await store.sql`select seq::int as seq from ingested order by seq`).map((r) => r.seq);
  assert.deepEqual(seqs, [1, 2, 3, 5, 6, 8]);
  const dead = await store.sql`select seq::int as seq, code, reason, length(payload) as bytes from dead_letters order by seq`;
  assert.deepEqual(dead.map((d) => d.seq), [4, 7]);
  for (const d of dead) {
    assert.equal(d.code, 'SQLSTATE_23514', `${d.code}: ${d.reason}`);
    assert.ok((d.bytes as number) > 0, 'the raw message is kept');
  }
  // Sent again, the good ones are duplicates and the bad ones are refused again, nothing more.
  const again = await keeper.ingest(batch.map((e) => ({ bytes: encodeEnvelope(e), source: 'test' })));
  assert.equal(again.accepted, 0);
  assert.equal(again.duplicates, 6);
});
