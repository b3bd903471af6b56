// Deterministic choices under a secret key: the same key and input give the same output in every
// table and every run (so joins and foreign keys survive), and without the key the output says
// nothing about the input. HMAC-SHA256, expanded by a counter when more bytes are needed.
import { createHmac } from 'node:crypto';

/** A stream of numbers drawn from HMAC(key, parts…). */
export class KeyedStream {
  private block: Buffer;
  private offset = 0;
  private counter = 0;

  constructor(private readonly key: Buffer | string, private readonly seed: string) {
    this.block = this.next();
  }

  private next(): Buffer {
    return createHmac('sha256', this.key).update(`${this.counter++}\u0000${this.seed}`).digest();
  }

  /** 32 bits. */
  uint32(): number {
    if (this.offset + 4 > this.block.length) { this.block = this.next(); this.offset = 0; }
    const v = this.block.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    // 2^32 % n bias is below 1e-6 for the sizes used here (dictionaries, digits).
    return this.uint32() % n;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)];
  }

  /** `n` decimal digits. */
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.below(10));
    return s;
  }

  /** A float in [0, 1). */
  unit(): number {
    return this.uint32() / 2 ** 32;
  }
}

/** The stream for one value: `domain` keeps kinds apart (an email's pseudonym is not a name's). */
export function streamFor(key: Buffer | string, domain: string, value: string): KeyedStream {
  return new KeyedStream(key, `${domain}\u0000${value}`);
}

/** HMAC-SHA256 of the value under the key, hex: a stable token that reveals nothing without the key. */
export function keyedHash(key: Buffer | string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}
