import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { INGEST_PREFIX, KEEPER_CONSUMER, STREAM_NAME, parseIngestSubject } from '../../protocol/index.ts';
import type { Incoming, Keeper } from './keeper.ts';

const SECOND_NS = 1_000_000_000;

export interface StreamOptions {
  /** Broker-side dedup window on Nats-Msg-Id. */
  duplicateWindowS?: number;
  /** How long an unacked message waits before redelivery to another keeper. */
  ackWaitS?: number;
  /** Messages older than this are dropped by the broker (nobody consumed them). */
  maxAgeS?: number;
}

/** Creates the PGFLEET stream and the shared durable consumer when missing (idempotent, safe to race). */
export async function ensureIngestStream(nc: NatsConnection, opts: StreamOptions = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name: STREAM_NAME,
    subjects: [`${INGEST_PREFIX}.>`],
    // Work queue: a message is removed once a keeper acked it, so the stream holds only the backlog.
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: (opts.duplicateWindowS ?? 120) * SECOND_NS,
    max_age: (opts.maxAgeS ?? 7 * 86_400) * SECOND_NS,
  };
  try {
    await jsm.streams.info(STREAM_NAME);
  } catch {
    try { await jsm.streams.add(config); } catch (err) { if (!/already in use|exists/i.test((err as Error).message)) throw err; }
  }
  try {
    await jsm.consumers.info(STREAM_NAME, KEEPER_CONSUMER);
  } catch {
    try {
      await jsm.consumers.add(STREAM_NAME, {
        durable_name: KEEPER_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: (opts.ackWaitS ?? 30) * SECOND_NS,
        max_ack_pending: 50_000,
      });
    } catch (err) { if (!/already|exists/i.test((err as Error).message)) throw err; }
  }
}

export interface NatsSourceOptions {
  /** Most messages in one batch (one transaction). */
  maxBatch?: number;
  /** How long a partial batch waits for more messages. */
  maxWaitMs?: number;
  /**
   * Batches stored at once (default 4): the next batches are decoded and prepared while others
   * wait for PostgreSQL, so the keeper and PostgreSQL work at the same time instead of waiting
   * for each other (a batch's transaction is a dozen round trips). With 2, a keeper draining a
   * backlog worked 65 % of the time and left a third of the machine idle (docs/storage.md#measured).
   * Batches lock the rows they share in one order (ids, then keys), so they wait for each other
   * rather than deadlock.
   */
  concurrency?: number;
  /**
   * How long the consumer may deliver nothing while the broker counts messages waiting for it and
   * this keeper has nothing in hand, before the consumer is deleted and created again (default
   * 30 s; 0: never). nats-server 2.9 can keep, after a kill -9, unacked entries for messages its
   * stream no longer holds; with them the consumer may stop delivering new messages for good
   * (nats-server#6374; docs/protocol.md#nats-jetstream). A new consumer delivers what the stream
   * holds again, and the store's dedup on (agent, seq) drops what was stored already.
   */
  stallMs?: number;
  /** The stream and consumer settings a consumer is created again with. */
  stream?: StreamOptions;
  onError?: (err: unknown) => void;
  /** Told when a stalled consumer is created again, with the broker's counts. */
  onStall?: (message: string) => void;
}

/**
 * Pulls from the shared durable consumer, hands batches to the keeper and acks
 * each message only after its batch committed; a failed batch is nak'ed and
 * redelivered after a delay.
 */
export class NatsSource {
  private stopped = false;
  private loop?: Promise<void>;
  private readonly buffer: JsMsg[] = [];
  private wake?: () => void;
  private messages?: { stop(): void; close(): Promise<void | Error> };

  constructor(private readonly nc: NatsConnection, private readonly keeper: Keeper, private readonly opts: NatsSourceOptions = {}) {}

  /** Times the consume loop had to be started again (consumer deleted, connection lost). */
  restarts = 0;
  /** Times a stalled consumer was deleted and created again. */
  consumerResets = 0;
  private lastDelivery = Date.now();
  private inFlightBatches = 0;
  private watch?: Promise<void>;

  async start(): Promise<void> {
    const js = jetstream(this.nc);
    const maxBatch = this.opts.maxBatch ?? 1000;
    // The first consumer lookup fails loudly (no stream, no consumer); later failures are retried.
    let consumer = await js.consumers.get(STREAM_NAME, KEEPER_CONSUMER);
    const feeding = (async () => {
      while (!this.stopped) {
        try {
          const messages = await consumer.consume({ max_messages: maxBatch * 2 });
          this.messages = messages;
          for await (const m of messages) {
            this.lastDelivery = Date.now();
            this.buffer.push(m);
            this.wake?.();
            // Back-pressure: the consumer pulls no more while the buffer is full.
            while (this.buffer.length >= maxBatch * 4 && !this.stopped) await new Promise((r) => setTimeout(r, 5));
          }
        } catch (err) {
          this.opts.onError?.(err);
        }
        if (this.stopped) break;
        // The iterator ended or failed (consumer deleted, connection closed): start it again.
        this.restarts++;
        await new Promise((r) => setTimeout(r, 1000));
        try {
          if (this.nc.isClosed()) break;
          await ensureIngestStream(this.nc, this.opts.stream);
          consumer = await js.consumers.get(STREAM_NAME, KEEPER_CONSUMER);
        } catch (err) { this.opts.onError?.(err); }
      }
    })();
    this.loop = this.process(maxBatch).finally(() => feeding);
    this.lastDelivery = Date.now();
    const stallMs = this.opts.stallMs ?? 30_000;
    if (stallMs > 0) this.watch = this.watchForStall(stallMs).catch((err) => this.opts.onError?.(err));
  }

  /**
   * Recreates the consumer when it is stalled: this keeper has received nothing for `stallMs` and
   * has nothing in hand, the broker counts messages pending, and the consumer's delivered pointer
   * has not moved for another `stallMs` (so a pull that is merely backing off after a broker
   * restart, or another keeper that is busy, is not mistaken for a stall). A consumer created less
   * than `stallMs` ago (another keeper just created it again) is left alone.
   */
  private async watchForStall(stallMs: number): Promise<void> {
    let still: { deliveredSeq: number; since: number } | undefined;
    while (!this.stopped) {
      await new Promise<void>((r) => { this.wakeWatch = r; setTimeout(r, Math.min(5000, Math.max(200, stallMs / 3))); });
      if (this.stopped || this.nc.isClosed()) break;
      const quiet = () => this.buffer.length === 0 && this.inFlightBatches === 0 && Date.now() - this.lastDelivery >= stallMs;
      if (!quiet()) { still = undefined; continue; }
      try {
        const jsm = await jetstreamManager(this.nc, { checkAPI: false });
        const c = await jsm.consumers.info(STREAM_NAME, KEEPER_CONSUMER);
        if (c.num_pending === 0 || Date.now() - Date.parse(c.created) < stallMs) { still = undefined; continue; }
        if (still?.deliveredSeq !== c.delivered.stream_seq) { still = { deliveredSeq: c.delivered.stream_seq, since: Date.now() }; continue; }
        if (Date.now() - still.since < stallMs || !quiet()) continue;
        still = undefined;
        this.consumerResets++;
        this.opts.onStall?.(`consumer ${KEEPER_CONSUMER} delivered nothing for ${Math.round((Date.now() - this.lastDelivery) / 1000)} s with ${c.num_pending} messages pending, `
          + `${c.num_ack_pending} unacked, ${c.num_waiting} pulls waiting, ack floor at stream seq ${c.ack_floor.stream_seq}: creating it again`);
        await jsm.consumers.delete(STREAM_NAME, KEEPER_CONSUMER).catch(() => false);
        await ensureIngestStream(this.nc, this.opts.stream);
        this.lastDelivery = Date.now();
        // The pulls of the old consumer end; the feeding loop starts again on the new one.
        this.messages?.stop();
      } catch {
        // The broker is away or restarting: the next round asks again. Counted, not reported as a failed batch.
        this.stallChecksFailed++;
      }
    }
  }

  /** Stall checks that could not ask the broker (it was away). */
  stallChecksFailed = 0;
  private wakeWatch?: () => void;

  private async process(maxBatch: number): Promise<void> {
    const maxWait = this.opts.maxWaitMs ?? 50;
    const concurrency = Math.max(1, this.opts.concurrency ?? 4);
    const inFlight = new Set<Promise<void>>();
    let backoff = 200;
    while (!this.stopped) {
      if (this.buffer.length === 0 || inFlight.size >= concurrency) {
        const woken = new Promise<void>((r) => { this.wake = r; setTimeout(r, 200); });
        await (inFlight.size >= concurrency ? Promise.race(inFlight) : woken);
        this.wake = undefined;
        continue;
      }
      if (this.buffer.length < maxBatch) await new Promise((r) => setTimeout(r, maxWait));
      const batch = this.buffer.splice(0, maxBatch);
      const items: Incoming[] = batch.map((m) => {
        // A subject the stream took but that names no agent has no sender anyone may claim: everything on it is refused.
        const sender = parseIngestSubject(m.subject) ?? { agent: '(no agent in the subject)', namespace: '(none)' };
        return { bytes: m.data, source: `nats:${m.subject}`, sender };
      });
      this.inFlightBatches++;
      const run = (async () => {
        try {
          await this.keeper.ingest(items);
          for (const m of batch) m.ack();
          backoff = 200;
        } catch (err) {
          this.opts.onError?.(err);
          for (const m of batch) m.nak(backoff);
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 10_000);
        }
      })();
      inFlight.add(run);
      void run.finally(() => { inFlight.delete(run); this.inFlightBatches--; this.wake?.(); });
    }
    await Promise.all(inFlight);
  }

  /** Stops pulling, finishes the batch in hand, and returns. Unprocessed messages are redelivered later. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.wakeWatch?.();
    this.messages?.stop();
    await this.loop;
    await this.watch;
    for (const m of this.buffer.splice(0)) m.nak();
  }
}
