/**
 * A Map bounded to `max` entries that forgets the least recently used first: `get` moves an entry
 * to the newest end (a Map iterates in insertion order), and `set` past the bound drops the oldest
 * tenth at once, so a full cache keeps what is in use instead of starting over.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly max: number) {}

  get size(): number { return this.map.size; }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) { this.map.delete(key); this.map.set(key, v); }
    return v;
  }

  has(key: K): boolean { return this.map.has(key); }

  set(key: K, value: V): void {
    this.map.delete(key);
    if (this.map.size >= this.max) {
      let drop = Math.max(1, Math.floor(this.max / 10));
      for (const k of this.map.keys()) { if (drop-- === 0) break; this.map.delete(k); }
    }
    this.map.set(key, value);
  }

  clear(): void { this.map.clear(); }
}
