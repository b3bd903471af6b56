import type { CommandHandler, CommandSource, OutgoingMeta, Transport } from './transport.ts';

export interface HttpTransportOptions {
  /** Server base URL, e.g. https://pgfleet.example:8080 */
  url: string;
  /** Bearer token for the ingest endpoint. */
  token?: string;
  timeoutMs?: number;
}

/** POSTs each envelope to /api/v1/ingest; a 200 means committed. For installs without a broker. */
export class HttpTransport implements Transport, CommandSource {
  readonly name = 'http';
  private readonly endpoint: string;
  constructor(private readonly opts: HttpTransportOptions) {
    this.endpoint = new URL('/api/v1/ingest', opts.url).toString();
  }

  async send(bytes: Uint8Array, _meta: OutgoingMeta): Promise<void> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/msgpack',
        ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
      },
      body: bytes as unknown as BodyInit,
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    }).catch((err: Error & { cause?: Error }) => {
      throw new Error(`POST ${this.endpoint}: ${err.cause?.message ?? err.message}`, { cause: err });
    });
    if (res.status === 400) {
      // The server will never take this message; resending would block the spool forever.
      throw new RejectedMessageError(`server rejected message: ${await res.text()}`);
    }
    if (!res.ok) throw new Error(`ingest answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  }

  private polling?: AbortController;

  /**
   * Commands for installs without a broker: a long poll of GET /api/v1/agent/commands (the server
   * answers as soon as a command is queued, or empty after `wait` seconds); outcomes go back as
   * `command.result` messages through ingest.
   */
  listenCommands(_agent: string, handle: CommandHandler): void {
    if (this.polling) return;
    const stop = this.polling = new AbortController();
    const url = new URL('/api/v1/agent/commands?wait=20', this.opts.url).toString();
    void (async () => {
      for (let wait = 1000; !stop.signal.aborted;) {
        try {
          const res = await fetch(url, {
            headers: this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {},
            signal: AbortSignal.any([stop.signal, AbortSignal.timeout(40_000)]),
          });
          if (!res.ok) throw new Error(`commands poll answered ${res.status}`);
          for (const c of await res.json() as unknown[]) handle(c);
          wait = 1000;
        } catch {
          if (stop.signal.aborted) return;
          await new Promise((r) => setTimeout(r, wait));
          wait = Math.min(wait * 2, 30_000);
        }
      }
    })();
  }

  async close(): Promise<void> { this.polling?.abort(); }
}

/** A message the server refused for good (malformed); the shipper drops it and counts it. */
export class RejectedMessageError extends Error {
  override name = 'RejectedMessageError';
  readonly code = 'PGFLEET_AGENT_REJECTED';
}
