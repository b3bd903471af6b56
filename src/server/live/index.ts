import { EventEmitter } from 'node:events';
import type { Store } from '../../store/index.ts';
import { LIVE_CHANNEL, type LiveUpdate } from '../keeper/index.ts';

/**
 * Relays the keepers' NOTIFYs to this process's listeners (the SSE route).
 * LISTEN works whichever process committed, so api and keeper may run apart.
 */
export async function startLiveHub(store: Store): Promise<{ hub: EventEmitter; stop(): Promise<void> }> {
  const hub = new EventEmitter();
  hub.setMaxListeners(0);
  const sub = await store.sql.listen(LIVE_CHANNEL, (payload) => {
    try { hub.emit('update', JSON.parse(payload) as LiveUpdate); } catch { /* not ours */ }
  });
  return { hub, stop: () => sub.unlisten() };
}
