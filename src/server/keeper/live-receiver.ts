import type { TransactionSql } from 'postgres';
import type { Accepted, Receiver } from './receiver.ts';

/** PostgreSQL channel on which committed updates are announced to every api process. */
export const LIVE_CHANNEL = 'pgfleet_live';

export interface LiveUpdate {
  instance?: string;
  agent: string;
  type: string;
  ts: number;
}

/**
 * Announces what a batch changed through NOTIFY inside the batch transaction:
 * PostgreSQL delivers it only if the batch commits, to api processes anywhere.
 */
export class LiveReceiver implements Receiver {
  readonly name = 'live';

  async write(tx: TransactionSql, batch: Accepted[]): Promise<void> {
    const latest = new Map<string, LiveUpdate>();
    for (const { env } of batch) {
      const key = `${env.instance ?? ''}|${env.agent}|${env.type}`;
      const prev = latest.get(key);
      if (!prev || prev.ts < env.ts) latest.set(key, { instance: env.instance, agent: env.agent, type: env.type, ts: env.ts });
    }
    if (latest.size === 0) return;
    await tx`select pg_notify(${LIVE_CHANNEL}, u) from unnest(${[...latest.values()].map((u) => JSON.stringify(u))}::text[]) u`;
  }
}
