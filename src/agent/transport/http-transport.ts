import type { OutgoingMeta, Transport } from './transport.ts';

export interface HttpTransportOptions {
  /** Server base URL, e.g. https://pgfleet.example:8080 */
  url: string;
  /** Bearer token for the ingest endpoint. */
  token?: string;
  timeoutMs?: number;
}

/** POSTs each envelope to /api/v1/ingest; a 200 means committed. For installs without a broker. */
export class HttpTransport implements Transport {
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

  async close(): Promise<void> {}
}

/** A message the server refused for good (malformed); the shipper drops it and counts it. */
export class RejectedMessageError extends Error {
  override name = 'RejectedMessageError';
  readonly code = 'PGFLEET_AGENT_REJECTED';
}
