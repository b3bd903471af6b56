import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { commandSubject, ingestSubject, messageId } from '../../protocol/index.ts';
import type { CommandHandler, CommandSource, OutgoingMeta, Transport } from './transport.ts';

export interface NatsTransportOptions {
  servers: string | string[];
  /** Credentials file limiting the agent to its own subjects. */
  credsFile?: string;
  /** File holding the agent's NKEY seed (SU…): the NATS authorization pgfleet generates knows its public key. */
  nkeyFile?: string;
  /** Replies come to <prefix>.…: with pgfleet's authorization an agent may receive only on _INBOX_<agent>. */
  inboxPrefix?: string;
  /** PEM file of the CA that signed the NATS servers' certificates: the connection must be TLS and verified. */
  caFile?: string;
  /** A secret of this agent's in every Nats-Msg-Id (messageId), kept with its spool so resends keep their ids. */
  msgIdNonce?: string;
  name?: string;
  /** How long one publish waits for its PubAck. */
  timeoutMs?: number;
}

/**
 * Publishes to JetStream with Nats-Msg-Id = <agent>:<seq>, so the broker drops resends.
 * It connects in the background: an agent started while the broker is down collects
 * into its spool at once, and sends when the broker answers.
 */
export class NatsTransport implements Transport, CommandSource {
  readonly name = 'nats';
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private readonly ready: Promise<void>;
  private closed = false;

  private constructor(private readonly opts: NatsTransportOptions) {
    this.ready = this.connectLoop();
    this.ready.catch(() => {});
  }

  /** Starts connecting and returns at once; a bad credentials file fails here. */
  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    if (opts.credsFile) readFileSync(opts.credsFile);
    if (opts.nkeyFile) readFileSync(opts.nkeyFile);
    if (opts.caFile) readFileSync(opts.caFile);
    return new NatsTransport(opts);
  }

  private async connectLoop(): Promise<void> {
    const auth = this.opts.credsFile ? { authenticator: credsAuthenticator(readFileSync(this.opts.credsFile)) }
      : this.opts.nkeyFile ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(readFileSync(this.opts.nkeyFile, 'utf8').trim())) } : {};
    for (let wait = 500; !this.closed; wait = Math.min(wait * 2, 10_000)) {
      try {
        this.nc = await connect({
          servers: this.opts.servers, name: this.opts.name ?? 'pgfleet-agent',
          reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, ...auth, ...(this.opts.inboxPrefix ? { inboxPrefix: this.opts.inboxPrefix } : {}),
          // tls:// alone does not make nats.js insist on TLS: the option does (the system's CAs without a CA file).
          ...(this.opts.caFile ? { tls: { caFile: this.opts.caFile } } : [this.opts.servers].flat().some((u) => u.startsWith('tls://')) ? { tls: {} } : {}),
        });
        this.js = jetstream(this.nc);
        if (this.commands) this.subscribe(this.nc, this.commands.agent, this.commands.handle);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private commands?: { agent: string; handle: CommandHandler };

  /** Answers requests on pgfleet.cmd.<agent> (the subscription is renewed by nats.js on reconnects). */
  listenCommands(agent: string, handle: CommandHandler): void {
    this.commands = { agent, handle };
    if (this.nc) this.subscribe(this.nc, agent, handle);
  }

  private subscribe(nc: NatsConnection, agent: string, handle: CommandHandler): void {
    nc.subscribe(commandSubject(agent), {
      callback: (err, msg) => {
        if (err) return;
        let payload: unknown;
        try { payload = msg.json(); } catch { payload = undefined; }
        const reply = handle(payload);
        if (msg.reply) msg.respond(JSON.stringify(reply));
      },
    });
  }

  async send(bytes: Uint8Array, meta: OutgoingMeta): Promise<void> {
    if (!this.js) {
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`NATS ${String(this.opts.servers)} not reachable yet`)), this.opts.timeoutMs ?? 5000));
      await Promise.race([this.ready, timeout]);
    }
    await this.js!.publish(ingestSubject(meta.namespace, meta.agent, meta.type), bytes, {
      msgID: messageId(meta.agent, meta.seq, this.opts.msgIdNonce), timeout: this.opts.timeoutMs ?? 5000,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.nc) await this.nc.drain().catch(() => this.nc!.close());
  }
}
