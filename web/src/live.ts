// Refresh triggers: the SSE live stream, throttled, and a fallback poll.
import { useEffect, useRef, useState } from 'react';
import { LIVE_URL, type LiveUpdate } from './api.ts';

/** At most one refetch per this many ms, however many `update` events arrive. */
export const LIVE_THROTTLE_MS = 2000;
/** Refetch at least this often, in case the stream is down or quiet. */
export const FALLBACK_POLL_MS = 15000;

interface LiveOptions {
  /** Off: no stream, no poll. */
  enabled: boolean;
  /** Only react to updates for this instance (and to updates without an instance, such as node data). */
  instance?: string;
  /** With `instance`: node data (no instance) counts only when it comes from this agent. */
  agent?: string | null;
}

/**
 * Calls `onRefresh` when the live stream reports new data (throttled to one call per
 * LIVE_THROTTLE_MS, the last event of a burst is never lost) and every FALLBACK_POLL_MS.
 */
export function useLiveRefresh(onRefresh: () => void, { enabled, instance, agent }: LiveOptions): void {
  const callback = useRef(onRefresh);
  callback.current = onRefresh;

  useEffect(() => {
    if (!enabled) return;
    // The page fetched on mount: that counts as the first refresh.
    let last = Date.now();
    let pending: ReturnType<typeof setTimeout> | undefined;

    const fire = (): void => {
      pending = undefined;
      last = Date.now();
      callback.current();
    };
    const request = (): void => {
      if (pending !== undefined) return;
      const wait = last + LIVE_THROTTLE_MS - Date.now();
      if (wait <= 0) fire();
      else pending = setTimeout(fire, wait);
    };

    const source = typeof EventSource === 'undefined' ? undefined : new EventSource(LIVE_URL);
    source?.addEventListener('update', (e: MessageEvent<string>) => {
      if (instance !== undefined) {
        try {
          const update = JSON.parse(e.data) as LiveUpdate;
          if (update.instance && update.instance !== instance) return;
          if (!update.instance && agent && update.agent && update.agent !== agent) return;
        } catch {
          // A malformed event still means something changed.
        }
      }
      request();
    });
    // The fallback poll only fires when nothing refreshed recently.
    const poll = setInterval(() => {
      if (Date.now() - last >= FALLBACK_POLL_MS - 100) request();
    }, FALLBACK_POLL_MS);

    return () => {
      source?.close();
      clearInterval(poll);
      if (pending !== undefined) clearTimeout(pending);
    };
  }, [enabled, instance, agent]);
}

/** The current time, re-rendering every `ms` (for "5 s ago" labels). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
