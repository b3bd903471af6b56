import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface SpoolOptions {
  /** Oldest messages are dropped (and counted) past this size. */
  maxBytes?: number;
  /** fsync each message before it counts as spooled (default true). */
  fsync?: boolean;
}

export interface SpoolStats { messages: number; bytes: number; dropped: number }

const FILE_RE = /^(\d{16})\.msg$/;

/**
 * The agent's on-disk queue: every message is written here before it is sent
 * and removed only after the transport's ack, so a restart of anything loses
 * nothing. One file per message, named by its seq; the last seq handed out is
 * kept in `seq`, so sequence numbers never repeat across restarts.
 */
export class Spool {
  private readonly index = new Map<number, number>(); // seq → bytes
  private lastSeq = 0;
  private bytes = 0;
  private newest = 0;
  private dropped = 0;

  constructor(private readonly dir: string, private readonly opts: SpoolOptions = {}) {
    mkdirSync(dir, { recursive: true });
    const found: [number, number][] = [];
    for (const name of readdirSync(dir)) {
      const m = FILE_RE.exec(name);
      if (m) found.push([Number(m[1]), statSync(join(dir, name)).size]);
      else if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
    }
    // The index keeps seq order (a Map iterates in insertion order): the oldest is its first key.
    found.sort((a, b) => a[0] - b[0]);
    for (const [seq, size] of found) {
      this.index.set(seq, size);
      this.bytes += size;
      this.lastSeq = seq;
      this.newest = seq;
    }
    try { this.lastSeq = Math.max(this.lastSeq, Number(readFileSync(join(dir, 'seq'), 'utf8')) || 0); } catch { /* first start */ }
  }

  /** The next sequence number, persisted before it is returned. */
  nextSeq(): number {
    this.lastSeq++;
    // Written aside and renamed: a crash leaves the old number or the new one, never a torn file.
    this.writeDurably('seq', Buffer.from(String(this.lastSeq)));
    return this.lastSeq;
  }

  /** The last sequence number handed out (0 before the first). */
  get last(): number { return this.lastSeq; }

  /** Stores one encoded message (seqs come from nextSeq, so in increasing order); returns the seqs dropped to stay under maxBytes. */
  put(seq: number, bytes: Uint8Array): number[] {
    this.writeDurably(name(seq), bytes);
    this.index.set(seq, bytes.byteLength);
    if (seq < this.newest) {
      // Out of order (not how the agent puts): restore seq order, so the first key stays the oldest.
      const sorted = [...this.index.entries()].sort((a, b) => a[0] - b[0]);
      this.index.clear();
      for (const [k, v] of sorted) this.index.set(k, v);
    } else this.newest = seq;
    this.bytes += bytes.byteLength;
    const dropped: number[] = [];
    const max = this.opts.maxBytes ?? 256 * 1024 * 1024;
    while (this.bytes > max && this.index.size > 1) {
      const oldest = this.index.keys().next().value as number;
      this.remove(oldest);
      this.dropped++;
      dropped.push(oldest);
    }
    return dropped;
  }

  /** Spooled seqs, oldest first. */
  pending(limit = Infinity): number[] {
    const out: number[] = [];
    for (const seq of this.index.keys()) {
      if (out.length >= limit) break;
      out.push(seq);
    }
    return out;
  }

  /** Writes a file next to its final name, fsyncs it, renames it, and fsyncs the folder. */
  private writeDurably(file: string, bytes: Uint8Array): void {
    const path = join(this.dir, file);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, bytes);
      if (this.opts.fsync !== false) fsyncSync(fd);
    } finally { closeSync(fd); }
    renameSync(tmp, path);
    if (this.opts.fsync !== false) {
      const dfd = openSync(this.dir, 'r');
      try { fsyncSync(dfd); } finally { closeSync(dfd); }
    }
  }

  has(seq: number): boolean { return this.index.has(seq); }

  read(seq: number): Uint8Array {
    return readFileSync(join(this.dir, name(seq)));
  }

  remove(seq: number): void {
    const size = this.index.get(seq);
    if (size === undefined) return;
    this.index.delete(seq);
    this.bytes -= size;
    try { unlinkSync(join(this.dir, name(seq))); } catch { /* already gone */ }
  }

  stats(): SpoolStats {
    return { messages: this.index.size, bytes: this.bytes, dropped: this.dropped };
  }
}

function name(seq: number): string {
  return `${String(seq).padStart(16, '0')}.msg`;
}

/** This spool's secret for message ids (messageId): made once, kept in the spool's folder. */
export function spoolNonce(dir: string): string {
  const file = join(dir, 'msgid-nonce');
  mkdirSync(dir, { recursive: true });
  try { return readFileSync(file, 'utf8').trim(); } catch { /* first start */ }
  const nonce = randomBytes(9).toString('base64url');
  writeFileSync(file, nonce, { mode: 0o600 });
  return nonce;
}
