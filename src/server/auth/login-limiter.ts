// Slows and stops password guessing from one address, and against names that do not exist
// (the store locks existing users; an unknown name must not answer differently).
import { AuthError } from './errors.ts';

interface Failures { count: number; first: number }

/** Failures per address and per unknown name in a sliding window, in memory (per server process). */
export class LoginLimiter {
  private readonly byIp = new Map<string, Failures>();
  private readonly byName = new Map<string, Failures>();

  constructor(private readonly opts = { windowMs: 15 * 60_000, maxPerIp: 20, maxPerName: 5, baseDelayMs: 250, maxDelayMs: 4000 }) {}

  private current(map: Map<string, Failures>, key: string): Failures | undefined {
    const f = map.get(key);
    if (f && Date.now() - f.first > this.opts.windowMs) { map.delete(key); return undefined; }
    return f;
  }

  /** Throws when this address or name has failed too often lately. */
  check(ip: string, name: string): void {
    const ipF = this.current(this.byIp, ip);
    const nameF = this.current(this.byName, name);
    const over = (ipF && ipF.count >= this.opts.maxPerIp ? ipF : undefined) ?? (nameF && nameF.count >= this.opts.maxPerName ? nameF : undefined);
    if (over) {
      const retryAfterS = Math.ceil((over.first + this.opts.windowMs - Date.now()) / 1000);
      throw new AuthError('PGFLEET_AUTH_RATE_LIMITED', `too many failed logins from this address or for this name: try again in ${Math.ceil(retryAfterS / 60)} min`, { retryAfterS });
    }
  }

  /** Counts a failure; returns how long to wait before answering it (doubling with each failure from the address). */
  failed(ip: string, name: string): number {
    for (const [map, key] of [[this.byIp, ip], [this.byName, name]] as const) {
      const f = this.current(map, key);
      if (f) f.count++; else map.set(key, { count: 1, first: Date.now() });
      // Bounded: a flood of distinct names or addresses cannot grow the maps without end.
      if (map.size > 100_000) map.delete(map.keys().next().value!);
    }
    const n = this.byIp.get(ip)!.count;
    return Math.min(this.opts.baseDelayMs * 2 ** (n - 1), this.opts.maxDelayMs);
  }

  succeeded(ip: string, name: string): void {
    this.byName.delete(name);
    const f = this.byIp.get(ip);
    if (f) f.count = Math.max(0, f.count - 1);
  }
}
