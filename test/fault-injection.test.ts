// Fault injection (issue 4): simulated agents stream through the real agent path (spool →
// shipper → NATS JetStream → keeper process → store) while a seeded random schedule kills -9,
// and restarts, the keeper, nats-server and the store's PostgreSQL, each several times.
// Afterwards every produced (agent, seq) is stored exactly once, and every stored sample,
// statement row and activity row is the one produced.
// The seed is printed first; PGFLEET_FAULT_SEED=<n> replays the schedule and the data
// (the moments a kill lands in the stream still depend on the machine's timing).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import postgres from 'postgres';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { NatsTransport, Shipper, Spool } from '../src/agent/index.ts';
import { loadCatalog } from '../src/catalog/index.ts';
import { encodeEnvelope, KEEPER_CONSUMER, STATEMENT_COUNTERS, STREAM_NAME, type Envelope } from '../src/protocol/index.ts';
import { FleetSimulator } from '../src/simulate/index.ts';
import { MAX_SET_MEMBERS } from '../src/store/index.ts';
import { startTestNats, startTestPostgres, SupervisedPgfleet, tempDir, waitFor } from './harness/index.ts';
import { prng } from './harness/prng.ts';

const SEED = process.env.PGFLEET_FAULT_SEED ? Number(process.env.PGFLEET_FAULT_SEED) : randomInt(2 ** 31);
const AGENTS = 20;
/** Simulated seconds per wall-clock second: 20 agents then send about 185 messages (4,600 samples) a second. */
const SPEED = 5;
/** Faults per component; the schedule shuffles them. */
const ROUNDS = 7;
const COMPONENTS = ['keeper', 'nats', 'store'] as const;
type Component = (typeof COMPONENTS)[number];
const NAMESPACE = 'fi';
/** The consumer's ack wait: an unacked message is delivered again this long after. */
const ACK_WAIT_S = 3;

const cleanup: (() => Promise<unknown> | unknown)[] = [];
after(async () => { for (const c of cleanup.reverse()) await Promise.resolve().then(c).catch((err) => console.error(`cleanup: ${(err as Error).message}`)); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One simulated agent: the real spool, shipper and NATS transport, in this process. */
interface SimAgent { spool: Spool; shipper: Shipper; transport: NatsTransport }

/** What the store must hold at the end, built from the envelopes as they are produced. */
class Expected {
  /** `agent:seq` → type, of every message produced. */
  readonly messages = new Map<string, string>();
  /** owner, metric, labels, ts → values (a list, should two messages carry the same series at the same time). */
  readonly samples = new Map<string, number[]>();
  sampleCount = 0;
  /** Rows of sample_sets: one per metrics message and run of MAX_SET_MEMBERS points. */
  sampleSetRows = 0;
  /** Whole rows of statement_stats and activity_samples, as text → how many times. */
  readonly statements = new Map<string, number>();
  readonly activity = new Map<string, number>();

  add(env: Envelope): void {
    this.messages.set(`${env.agent}:${env.seq}`, env.type);
    if (env.type === 'metrics') {
      const owner = env.instance !== undefined ? `i:${env.instance}` : `n:${env.data.node ?? env.agent}`;
      let points = 0;
      for (const f of env.data.metrics) {
        for (const p of f.points) {
          const key = sampleKey(owner, f.name, p.l ?? {}, env.ts);
          const have = this.samples.get(key);
          if (have) have.push(p.v); else this.samples.set(key, [p.v]);
          points++;
        }
      }
      this.sampleCount += points;
      this.sampleSetRows += Math.ceil(points / MAX_SET_MEMBERS);
    } else if (env.type === 'statements') {
      const d = env.data;
      for (const e of d.entries) count(this.statements, statementRow(env.instance!, env.ts, d.interval_ms, e.queryid, e.datname, e.usename, e.toplevel, (c) => e.c[c] ?? 0));
      // `other` is stored as one row with queryid 0 (docs/storage.md).
      if (d.other) count(this.statements, statementRow(env.instance!, env.ts, d.interval_ms, '0', '', '', true, (c) => d.other!.c[c] ?? 0));
    } else if (env.type === 'activity') {
      const d = env.data;
      for (const g of d.groups) {
        count(this.activity, activityRow(env.instance!, env.ts, d.interval_ms, d.sample_ms, d.samples, g.state, g.wait_event_type ?? null, g.wait_event ?? null,
          g.queryid ?? null, g.datname ?? null, g.usename ?? null, g.backend_type, g.n));
      }
    }
  }
}

const canonicalLabels = (l: Record<string, string>) => JSON.stringify(Object.keys(l).sort().map((k) => [k, l[k]]));
const sampleKey = (owner: string, metric: string, labels: Record<string, string>, ts: number | string) => `${owner}\t${metric}\t${canonicalLabels(labels)}\t${ts}`;
const statementRow = (instance: string, ts: number | string, interval: number, queryid: string, datname: string, usename: string, toplevel: boolean, c: (name: string) => number) =>
  [instance, ts, interval, queryid, datname, usename, toplevel, ...STATEMENT_COUNTERS.map((n) => String(c(n)))].join('\t');
const activityRow = (...cols: unknown[]) => cols.map((c) => (c === null ? '∅' : String(c))).join('\t');
function count(m: Map<string, number>, key: string): void { m.set(key, (m.get(key) ?? 0) + 1); }

/** Differences between two multisets of rows: what is only in `want`, what is only in `got`. */
function multisetDiff(want: Map<string, number>, got: Map<string, number>): { missing: string[]; extra: string[] } {
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [k, n] of want) for (let i = got.get(k) ?? 0; i < n; i++) missing.push(k);
  for (const [k, n] of got) for (let i = want.get(k) ?? 0; i < n; i++) extra.push(k);
  return { missing, extra };
}

const first = (xs: string[], n = 5) => xs.slice(0, n).map((x) => `\n    ${x.replaceAll('\t', ' | ')}`).join('');

test(`${AGENTS} simulated agents stream while keeper, nats-server and the store's PostgreSQL are killed -9 ${COMPONENTS.length * ROUNDS} times: every message stored once, every value intact`, async (t) => {
  const wall0 = Date.now();
  const say = (msg: string) => { console.log(`# ${((Date.now() - wall0) / 1000).toFixed(1)} s: ${msg}`); };
  say(`seed ${SEED} (PGFLEET_FAULT_SEED=${SEED} replays it)`);
  t.diagnostic(`seed ${SEED}`);
  const rnd = prng(SEED);

  // The store commits synchronously (synchronous_commit=on, PostgreSQL's default): the keeper acks
  // only after the commit, so a commit must survive a kill -9 of the server. With the harness's
  // synchronous_commit=off a crash loses the last commits by design, acked or not. fsync stays off:
  // the processes are killed, not the machine, and written WAL is safe in the kernel's page cache.
  const [store, nats] = await Promise.all([startTestPostgres(18, { synchronous_commit: 'on' }), startTestNats()]);
  cleanup.push(() => store.destroy(), () => nats.destroy());
  const dir = tempDir('pgfleet-faults-');
  cleanup.push(() => dir.remove());
  // Supervised: a keeper that dies by itself is recorded (the test fails on it) and started again.
  // A consumer that nats-server stops delivering from (it can after a kill -9: nats-server#6374) is
  // created again by the keeper after --consumer-stall-s; 10 s here, so the drain below sees it.
  const keeper = new SupervisedPgfleet(['serve', '--role', 'keeper', '--store', store.url, '--nats', nats.url, '--ack-wait-s', String(ACK_WAIT_S), '--consumer-stall-s', '10'], /serve \(keeper\) started/);
  cleanup.push(() => keeper.stop());
  await keeper.start();

  // The fleet: one spool, shipper and NATS connection per agent, as each agent has its own.
  const sim = new FleetSimulator(loadCatalog([]), { agents: AGENTS, seed: SEED, preset: 'standard', namespace: NAMESPACE, prefix: 'fi' });
  const agents = new Map<string, SimAgent>();
  let sendErrors = 0;
  for (const inst of sim.instances()) {
    // No fsync: this test kills servers, not the agents' machine, and 4 fsyncs per message
    // would cost more time than the whole stream; writing, renaming and deleting after the ack
    // are the agent's own.
    const spool = new Spool(join(dir.path, inst.agent), { fsync: false });
    const transport = await NatsTransport.connect({ servers: nats.url, timeoutMs: 2000, name: inst.agent });
    const shipper = new Shipper(spool, transport, { agent: inst.agent, namespace: NAMESPACE, onError: () => { sendErrors++; } });
    shipper.start();
    agents.set(inst.agent, { spool, shipper, transport });
  }
  cleanup.push(async () => {
    await Promise.all([...agents.values()].map((a) => a.shipper.stop()));
    await Promise.all([...agents.values()].map((a) => a.transport.close().catch(() => {})));
  });
  const spooled = () => [...agents.values()].reduce((n, a) => n + a.spool.stats().messages, 0);

  // Simulated time runs SPEED times as fast as the clock, from an hour ago (the keeper refuses
  // what is older than the retention or a day ahead).
  const expected = new Expected();
  const sim0 = Date.now() - 3_600_000;
  const start = Date.now();
  let from = sim0;
  let producing = true;
  const produce = () => {
    const to = sim0 + (Date.now() - start) * SPEED;
    if (to <= from) return;
    for (const env of sim.tick(from, to)) {
      const a = agents.get(env.agent)!;
      // As the agent does (src/agent/agent.ts): the seq is taken from the spool, persisted, and the message spooled before it is sent.
      const seq = a.spool.nextSeq();
      assert.equal(seq, env.seq, `${env.agent}: the spool handed out seq ${seq}, the simulator numbered the message ${env.seq}`);
      assert.deepEqual(a.spool.put(seq, encodeEnvelope(env)), [], 'the spool drops nothing');
      expected.add(env);
      a.shipper.wake();
    }
    from = to;
  };
  const producer = (async () => {
    while (producing) { produce(); await sleep(100); }
  })();
  producer.catch(() => {}); // awaited below, where a failure is reported
  cleanup.push(() => { producing = false; return producer; });

  const sql = postgres(store.url, { max: 2, onnotice: () => {}, connect_timeout: 5 });
  cleanup.push(() => sql.end({ timeout: 5 }));
  const storedCount = async () => Number((await sql`select count(*)::int as n from ingested`)[0].n);
  await waitFor('the first messages stored', async () => (await storedCount()) >= 100, 60_000);

  // The schedule: every component ROUNDS times, shuffled; random gaps while all run, random downtimes.
  const schedule: Component[] = COMPONENTS.flatMap((c) => Array<Component>(ROUNDS).fill(c));
  for (let i = schedule.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [schedule[i], schedule[j]] = [schedule[j], schedule[i]];
  }
  const faults: { component: Component; atS: number; gapMs: number; downMs: number; restartMs: number; spooled: number; detail: string }[] = [];
  for (const component of schedule) {
    const gapMs = Math.round(300 + rnd() * 2700);
    const downMs = Math.round(100 + rnd() * 1900);
    await sleep(gapMs);
    const atS = (Date.now() - wall0) / 1000;
    const backlog = spooled();
    let detail = '';
    if (component === 'keeper') await keeper.kill();
    else if (component === 'nats') await nats.kill();
    else {
      const r = await store.crash();
      detail = `${r.processes} server processes, ${r.orphans} outlived the postmaster, ${r.killed} killed after waiting`;
    }
    await sleep(downMs);
    const t0 = Date.now();
    if (component === 'keeper') await keeper.start();
    else if (component === 'nats') await nats.restart();
    else await store.restart();
    const restartMs = Date.now() - t0;
    faults.push({ component, atS, gapMs, downMs, restartMs, spooled: backlog, detail });
    say(`fault ${faults.length}/${schedule.length}: kill -9 ${component}, down ${downMs} ms, back after ${restartMs} ms; ${expected.messages.size} messages produced, ${backlog} in the spools at the kill${detail ? `; ${detail}` : ''}`);
  }

  // Stream a little longer, then stop producing and let everything drain.
  await sleep(Math.round(500 + rnd() * 1500));
  producing = false;
  await producer;
  const produced = expected.messages.size;
  say(`stopped producing: ${produced} messages, ${expected.sampleCount} samples; waiting for the spools and the stream to drain`);
  await waitFor(`the agents' spools to drain (${spooled()} left)`, () => spooled() === 0, 180_000);
  const nc: NatsConnection = await connect({ servers: nats.url });
  cleanup.push(() => nc.close());
  const jsm = await jetstreamManager(nc);
  // Drained: the keepers' consumer has nothing left to deliver, every produced message is stored
  // (which ones is checked below), and nothing is left unacked that the broker could still deliver.
  // nats-server 2.9 keeps two kinds of debris from a kill -9 of a work queue, both reported:
  // - messages acked before the kill whose deletion was lost while the consumer's ack floor
  //   passed them: they stay in the stream, never delivered again, until max_age;
  // - the reverse: entries the consumer still counts as unacked whose messages the stream no
  //   longer holds; they are never redelivered (and hold the ack floor back). They are told from
  //   real unacked messages by staying put for three ack waits while the keeper waits for
  //   messages: a real one is redelivered after each ack wait, and the keeper then acks it.
  //   With enough of them the broker stops delivering new messages (nats-server#6374); the keeper
  //   then creates the consumer again (--consumer-stall-s), and the new one has neither kind.
  let drainState = '';
  let leftInStream = 0;
  let undeliverable = 0;
  let still: { unacked: number; since: number } | undefined;
  const drained = await waitFor('the consumer to be drained and every message stored', async () => {
    const [s, c, n] = await Promise.all([jsm.streams.info(STREAM_NAME), jsm.consumers.info(STREAM_NAME, KEEPER_CONSUMER), storedCount()]);
    leftInStream = s.state.messages;
    drainState = `consumer: ${c.num_pending} pending, ${c.num_ack_pending} unacked, ${c.num_waiting} pulls waiting, ack floor at stream seq ${c.ack_floor.stream_seq}; `
      + `stream holds ${s.state.messages} (seq ${s.state.first_seq} to ${s.state.last_seq}); ingested ${n} of ${produced}; `
      + `the keeper exited by itself ${keeper.unexpectedExits.length} times`;
    if (c.num_pending > 0 || n < produced) { still = undefined; return false; }
    if (c.num_ack_pending === 0) return true;
    if (c.num_waiting === 0 || still?.unacked !== c.num_ack_pending) { still = { unacked: c.num_ack_pending, since: Date.now() }; return false; }
    if (Date.now() - still.since <= 3 * ACK_WAIT_S * 1000) return false;
    undeliverable = c.num_ack_pending;
    return true;
  }, 120_000).then(() => true, async (err: Error) => {
    // What the keeper is doing when it stops making progress: its last lines and its sessions in the store.
    const sessions = await sql`select pid, state, wait_event_type, wait_event, now() - xact_start as in_xact, left(query, 160) as query
      from pg_stat_activity where application_name = 'pgfleet-server'`.catch((e: Error) => e.message);
    say(`${err.message}; ${drainState}\nkeeper sessions: ${JSON.stringify(sessions)}\nkeeper output (last lines):\n${keeper.output().split('\n').slice(-30).join('\n')}`);
    // Does the broker deliver to a new pull (left unacked: redelivered after the ack wait)?
    const probe = await jetstream(nc).consumers.get(STREAM_NAME, KEEPER_CONSUMER).then(async (c) => {
      const got: string[] = [];
      for await (const m of await c.fetch({ max_messages: 5, expires: 5000 })) got.push(`${m.seq}: ${m.headers?.get('Nats-Msg-Id')}`);
      return got;
    }).catch((e: Error) => [`fetch failed: ${e.message}`]);
    say(`a pull of 5 from the test got: ${probe.join(', ') || 'nothing'}`);
    // Does a new keeper resume the stream?
    const before = await storedCount();
    await keeper.kill();
    await keeper.start();
    await waitFor('a new keeper to store more', async () => (await storedCount()) > before, 30_000).catch(() => {});
    say(`after a keeper restart: ingested ${await storedCount()} (was ${before})`);
    return false;
  });
  say(`drained: ${drainState}`);

  // 1. Every produced (agent, seq) is stored exactly once, with its type, and nothing else.
  const ingested = await sql<{ agent: string; seq: string; type: string }[]>`select a.name as agent, i.seq::text as seq, i.type from ingested i join agents a on a.id = i.agent_id`;
  const storedKeys = new Map<string, number>();
  const wrongType: string[] = [];
  for (const r of ingested) {
    const key = `${r.agent}:${r.seq}`;
    count(storedKeys, key);
    const type = expected.messages.get(key);
    if (type !== undefined && type !== r.type) wrongType.push(`${key} stored as ${r.type}, produced as ${type}`);
  }
  const missing = [...expected.messages.keys()].filter((k) => !storedKeys.has(k));
  const extra = [...storedKeys.keys()].filter((k) => !expected.messages.has(k));
  const twice = [...storedKeys].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
  assert.deepEqual({ missing: missing.length, extra: extra.length, twice: twice.length, wrongType: wrongType.length }, { missing: 0, extra: 0, twice: 0, wrongType: 0 },
    `ingested holds ${ingested.length} messages, ${produced} were produced; missing: ${first(missing)}\n  extra: ${first(extra)}\n  twice: ${first(twice)}\n  wrong type: ${first(wrongType)}\n  ${drainState}`);
  const dead = await sql`select agent, seq::text, type, code, reason from dead_letters order by id limit 5`;
  assert.equal(dead.length, 0, `dead letters: ${JSON.stringify(dead)}`);

  // 2a. One sample_sets row per metrics message (and run of MAX_SET_MEMBERS points), none twice.
  const [rows] = await sql`select count(*)::int as rows, count(distinct (set_id, ts))::int as keys from sample_sets`;
  assert.equal(rows.rows, rows.keys, `${rows.rows - rows.keys} sample_sets rows repeat a (set, ts) already stored`);
  assert.equal(rows.rows, expected.sampleSetRows, `sample_sets holds ${rows.rows} rows, the metrics messages produced make ${expected.sampleSetRows}`);

  // 2b. Every stored sample is the produced value of its series at its time, and none is missing.
  const left = new Map([...expected.samples].map(([k, v]) => [k, [...v]]));
  const unmatched: { key: string; value: number }[] = [];
  let compared = 0;
  const samplesQuery = sql<{ owner: string; metric: string; labels: Record<string, string>; ts: string; value: number }[]>`
    select s.owner_kind || ':' || coalesce(i.name, n.name) as owner, m.name as metric, s.labels, r.ts::text as ts, r.value
    from raw_samples r
    join series s on s.id = r.series_id
    join metrics m on m.id = s.metric_id
    left join instances i on s.owner_kind = 'i' and i.id = s.owner_id
    left join nodes n on s.owner_kind = 'n' and n.id = s.owner_id`;
  for await (const batch of samplesQuery.cursor(20_000)) {
    for (const r of batch) {
      compared++;
      const key = sampleKey(r.owner, r.metric, r.labels, r.ts);
      const want = left.get(key);
      const at = want ? want.findIndex((v) => v === r.value || (Number.isNaN(v) && Number.isNaN(r.value))) : -1;
      if (at < 0) { unmatched.push({ key, value: r.value }); continue; }
      want!.splice(at, 1);
      if (want!.length === 0) left.delete(key);
    }
  }
  const differs = unmatched.filter((u) => left.has(u.key)).map((u) => `${u.key}: stored ${u.value}, produced ${left.get(u.key)!.join(' or ')}`);
  const extraSamples = unmatched.filter((u) => !left.has(u.key)).map((u) => `${u.key}: ${u.value}`);
  const missingSamples = [...left].flatMap(([k, vs]) => vs.map((v) => `${k}: ${v}`));
  assert.deepEqual({ differs: differs.length, extra: extraSamples.length, missingOrDiffering: missingSamples.length }, { differs: 0, extra: 0, missingOrDiffering: 0 },
    `${compared} stored samples compared with ${expected.sampleCount} produced; different: ${first(differs)}\n  not produced: ${first(extraSamples)}\n  not stored: ${first(missingSamples)}`);
  assert.equal(compared, expected.sampleCount);

  // 2c. Statement and activity rows, whole rows compared as multisets.
  const storedStatements = new Map<string, number>();
  for await (const batch of sql<Record<string, unknown>[]>`select i.name as instance, s.* from statement_stats s join instances i on i.id = s.instance_id`.cursor(10_000)) {
    for (const r of batch) {
      // bigint columns (ts, queryid) arrive as text: exact.
      count(storedStatements, statementRow(r.instance as string, r.ts as string, r.interval_ms as number, String(r.queryid), r.datname as string, r.usename as string, r.toplevel as boolean, (c) => r[c] as number));
    }
  }
  const st = multisetDiff(expected.statements, storedStatements);
  const statementRows = [...storedStatements.values()].reduce((a, b) => a + b, 0);
  assert.deepEqual({ missing: st.missing.length, extra: st.extra.length }, { missing: 0, extra: 0 }, `statement_stats: not stored: ${first(st.missing)}\n  not produced (or different): ${first(st.extra)}`);
  const storedActivity = new Map<string, number>();
  for (const r of await sql`select i.name as instance, a.ts::text as ts, a.interval_ms, a.sample_ms, a.samples, a.state, a.wait_event_type, a.wait_event,
      a.queryid::text as queryid, a.datname, a.usename, a.backend_type, a.n from activity_samples a join instances i on i.id = a.instance_id`) {
    count(storedActivity, activityRow(r.instance, r.ts, r.interval_ms, r.sample_ms, r.samples, r.state, r.wait_event_type, r.wait_event, r.queryid, r.datname, r.usename, r.backend_type, r.n));
  }
  const ac = multisetDiff(expected.activity, storedActivity);
  const activityRows = [...storedActivity.values()].reduce((a, b) => a + b, 0);
  assert.deepEqual({ missing: ac.missing.length, extra: ac.extra.length }, { missing: 0, extra: 0 }, `activity_samples: not stored: ${first(ac.missing)}\n  not produced (or different): ${first(ac.extra)}`);

  // 3. The faults that actually ran.
  const per = Object.fromEntries(COMPONENTS.map((c) => [c, faults.filter((f) => f.component === c).length])) as Record<Component, number>;
  for (const c of COMPONENTS) assert.ok(per[c] >= 3, `${c} was killed ${per[c]} times, at least 3 wanted`);
  assert.ok(faults.length >= 20, `${faults.length} faults ran, at least 20 wanted`);
  // The keeper outlives the store's and the broker's crashes: it only ever exits when killed.
  assert.deepEqual(keeper.unexpectedExits, [], 'the keeper exited by itself');
  assert.ok(drained, `the stream drained: ${drainState}`);

  // The last keeper's own count of what it stored and what it dropped as already stored.
  await keeper.stop();
  const lastKeeper = /keeper stopped: (.*)/.exec(keeper.output())?.[1] ?? 'no final count';
  const failedBatches = (keeper.output().match(/ingest batch failed/g) ?? []).length;
  const consumerResets = (keeper.output().match(/creating it again/g) ?? []).length;
  const summary = `seed ${SEED}: ${faults.length} faults (keeper ${per.keeper}, nats ${per.nats}, store ${per.store}); `
    + `${produced} messages (${Object.entries(sim.stats.byType).map(([k, v]) => `${k} ${v}`).join(', ')}) and ${expected.sampleCount} samples produced, `
    + `${ingested.length} messages and ${compared} samples compared, ${statementRows} statement rows, ${activityRows} activity rows; `
    + `${sendErrors} agent send failures retried, ${failedBatches} keeper batches failed and redelivered, ${leftInStream} acked messages left in the stream and ${undeliverable} undeliverable unacked entries left by nats-server, ${consumerResets} stalled consumers created again by the keeper; last keeper: ${lastKeeper}; ${((Date.now() - wall0) / 1000).toFixed(1)} s`;
  say(summary);
  t.diagnostic(summary);
});
