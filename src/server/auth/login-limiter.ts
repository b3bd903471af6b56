// Slows and stops password guessing from one address, and against names that do not exist
// (the store locks existing users; an unknown name must answer the same way, so the answers
// do not tell which names exist).
import { AuthError } from './errors.ts';

interface Failures { count: number; first: number; lockedUntil?: number }

export interface LimiterOptions { windowMs: number; maxPerIp: number; maxPerName: number; lockMs: number; baseDelayMs: number; maxDelayMs: number }

/** The answer while a name is locked: the same words for a user of the store and for an unknown name. */
export const lockedError = (name: string, until: number): AuthError =>
  new AuthError('PGFLEET_AUTH_LOCKED', `too many failed logins: signing in as ${name} is locked until ${new Date(until).toISOString()}`, { retryAfterS: Math.ceil((until - Date.now()) / 1000) });

/** Failures per address and per unknown name in a sliding window, in memory (per server process). */
export class LoginLimiter {
  private readonly byIp = new Map<string, Failures>();
  private readonly byName = new Map<string, Failures>();
  private readonly opts: LimiterOptions;

  constructor(opts: Partial<LimiterOptions> = {}) {
    this.opts = { windowMs: 15 * 60_000, maxPerIp: 20, maxPerName: 5, lockMs: 15 * 60_000, baseDelayMs: 250, maxDelayMs: 4000, ...opts };
  }

  private current(map: Map<string, Failures>, key: string): Failures | undefined {
    const f = map.get(key);
    if (f && Date.now() - f.first > this.opts.windowMs && (f.lockedUntil ?? 0) <= Date.now()) { map.delete(key); return undefined; }
    return f;
  }

  /** Throws when this address has failed too often lately, or when this unknown name is locked. */
  check(ip: string, name: string, known: boolean): void {
    const ipF = this.current(this.byIp, ip);
    if (ipF && ipF.count >= this.opts.maxPerIp) {
      const retryAfterS = Math.ceil((ipF.first + this.opts.windowMs - Date.now()) / 1000);
      throw new AuthError('PGFLEET_AUTH_RATE_LIMITED', `too many failed logins from this address: try again in ${Math.ceil(retryAfterS / 60)} min`, { retryAfterS });
    }
    const nameF = known ? undefined : this.current(this.byName, name);
    if (nameF?.lockedUntil && nameF.lockedUntil > Date.now()) throw lockedError(name, nameF.lockedUntil);
  }

  /**
   * Counts a failure; returns how long to wait before answering it (doubling with each failure
   * from the address) and, for an unknown name that reached the limit, the end of its lock.
   */
  failed(ip: string, name: string, known: boolean): { delayMs: number; lockedUntil?: number } {
    let lockedUntil: number | undefined;
    for (const [map, key] of known ? [[this.byIp, ip]] as const : [[this.byIp, ip], [this.byName, name]] as const) {
      let f = this.current(map, key);
      if (f) f.count++; else map.set(key, f = { count: 1, first: Date.now() });
      if (map === this.byName && f.count >= this.opts.maxPerName) lockedUntil = f.lockedUntil = Date.now() + this.opts.lockMs;
      // Bounded: a flood of distinct names or addresses cannot grow the maps without end.
      if (map.size > 100_000) map.delete(map.keys().next().value!);
    }
    const n = this.byIp.get(ip)!.count;
    return { delayMs: Math.min(this.opts.baseDelayMs * 2 ** (n - 1), this.opts.maxDelayMs), ...(lockedUntil ? { lockedUntil } : {}) };
  }

  succeeded(ip: string): void {
    const f = this.byIp.get(ip);
    if (f) f.count = Math.max(0, f.count - 1);
  }
}
