/**
 * Seeded input generators for fuzzing the protocol decoder and the ingest route:
 * realistic envelopes of every message type, their mutations (bytes, MessagePack
 * headers, JSON text, decoded values) and random bytes. Pure (no I/O), so unit
 * tests can use it; every input comes from the seed, so a failure reproduces.
 */
import { encode as pack } from '@msgpack/msgpack';
import {
  COLLECTOR_STATES, MESSAGE_TYPES, METRIC_KINDS, ROLES, SEVERITIES, STATEMENT_COUNTERS,
  type Encoding, type Envelope, type MessageType,
} from '../../src/protocol/index.ts';
import { prng } from './prng.ts';

/** A seeded source of random choices. */
export class Rand {
  readonly next: () => number;
  constructor(seed: number) { this.next = prng(seed); }
  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(list: readonly T[]): T { return list[this.int(list.length)]; }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  word(min = 1, max = 12, alphabet = 'abcdefghijklmnopqrstuvwxyz_'): string {
    let s = '';
    for (let i = this.range(min, max); i > 0; i--) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

export interface EnvelopeKeys {
  agent: string;
  seq: number;
  ts: number;
  /** Used by types that may carry one; always set for inventory, statements and activity. */
  instance?: string;
}

const DBS = ['postgres', 'app', 'billing', 'analytics', 'template1'];
const USERS = ['postgres', 'web', 'pgfleet_monitor', 'batch'];
const COLLECTORS = ['pg_stat_database', 'pg_stat_bgwriter', 'pg_locks', 'pg_stat_replication', 'node_cpu', 'node_disk'];
const QUERIES = ['SELECT * FROM orders WHERE id = $1', 'UPDATE accounts SET balance = balance + $1 WHERE id = $2', 'INSERT INTO events (kind, at) VALUES ($1, $2)', 'COMMIT'];

/** pg_stat_statements' queryid: a signed 64-bit hash as decimal text, so almost always 18 or 19 digits (18 here, to stay in range). */
function queryid(r: Rand): string {
  return `${r.chance(0.5) ? '-' : ''}${r.range(1, 9)}${r.word(17, 17, '0123456789')}`;
}

/** A valid envelope of `type`, with realistic payload sizes and values. */
export function validEnvelope(r: Rand, type: MessageType, k: EnvelopeKeys): Envelope {
  const instance = k.instance;
  const base = { v: 1 as const, agent: k.agent, seq: k.seq, ts: k.ts };
  switch (type) {
    case 'metrics': {
      const collector = r.pick(COLLECTORS);
      const nodeLevel = instance === undefined;
      return {
        ...base, type, ...(nodeLevel ? {} : { instance }),
        data: {
          collector, ...(r.chance(0.7) ? { interval_ms: r.pick([1000, 15_000, 60_000]) } : {}),
          ...(nodeLevel ? { node: `db${r.range(1, 9)}.example` } : {}),
          metrics: Array.from({ length: r.range(1, 4) }, (_, i) => ({
            name: `${collector}.${r.word(3, 14)}_${i}`, kind: r.pick(METRIC_KINDS),
            ...(r.chance(0.5) ? { unit: r.pick(['1', 'bytes', 'ms', 'pages']) } : {}),
            points: Array.from({ length: r.range(1, 5) }, (_, j) => ({
              ...(r.chance(0.8) ? { l: { datname: r.pick(DBS), ...(r.chance(0.3) ? { mode: `m${j}` } : {}) } } : {}),
              v: r.pick([0, 1, r.int(1e6), r.next() * 100, -(r.next() + 0.001), 2 ** 40 + r.int(1000)]),
            })),
          })),
        },
      };
    }
    case 'inventory': {
      const up = r.chance(0.85);
      const major = r.range(13, 18);
      return {
        ...base, type, instance: instance ?? 'main-1',
        data: {
          namespace: r.pick(['default', 'prod', 'edge']), cluster: (instance ?? 'main-1').replace(/-[^-]*$/, '') || 'main',
          node: `db${r.range(1, 9)}.example`, version: `PostgreSQL ${major}.${r.range(0, 9)} on x86_64-pc-linux-gnu`,
          version_num: major * 10_000 + r.range(0, 9), role: r.pick(ROLES),
          ...(r.chance(0.7) ? { started_at: k.ts - r.int(86_400_000) } : {}),
          ...(r.chance(0.7) ? { system_identifier: `7${r.word(18, 18, '0123456789')}` } : {}),
          ...(r.chance(0.7) ? { databases: DBS.slice(0, r.range(0, DBS.length)) } : {}),
          up, ...(up ? {} : { error: 'connection refused' }),
        },
      };
    }
    case 'heartbeat':
      return {
        ...base, type, ...(instance !== undefined && r.chance(0.2) ? { instance } : {}),
        data: {
          agent_version: '0.1.0', uptime_s: r.next() * 1e5, node: `db${r.range(1, 9)}.example`,
          spool: { messages: r.int(100), bytes: r.int(1e7), dropped: r.int(3) },
          collectors: Array.from({ length: r.range(0, 5) }, () => ({
            id: r.pick(COLLECTORS), ...(r.chance(0.5) ? { instance: instance ?? 'main-1' } : {}), state: r.pick(COLLECTOR_STATES),
            runs: r.int(1000), failures: r.int(10),
            ...(r.chance(0.5) ? { last_duration_ms: r.next() * 50 } : {}),
            ...(r.chance(0.2) ? { last_error: 'canceling statement due to statement timeout' } : {}),
            ...(r.chance(0.5) ? { last_rows: r.int(500) } : {}),
            ...(r.chance(0.2) ? { overruns: r.int(5) } : {}),
            ...(r.chance(0.1) ? { note: 'backed off: the last run took longer than its interval' } : {}),
          })),
        },
      };
    case 'event':
      return {
        ...base, type, ...(instance !== undefined ? { instance } : {}),
        data: {
          kind: r.pick(['role.changed', 'instance.down', 'instance.up', 'collector.backoff', 'collector.recovered']),
          severity: r.pick(SEVERITIES), message: `something happened: ${r.word(5, 40, 'abcdefgh ')}`,
          ...(r.chance(0.5) ? { details: { from: 'primary', to: 'replica', n: r.int(10), list: [1, 'two', null, true] } } : {}),
        },
      };
    case 'statements': {
      const entries = Array.from({ length: r.range(0, 5) }, () => ({
        queryid: queryid(r), datname: r.pick(DBS), usename: r.pick(USERS), toplevel: r.chance(0.9),
        c: Object.fromEntries(Array.from({ length: r.range(1, 6) }, () => [r.pick(STATEMENT_COUNTERS), r.chance(0.5) ? r.int(1e5) : r.next() * 1e3])),
      }));
      return {
        ...base, type, instance: instance ?? 'main-1',
        data: {
          interval_ms: r.pick([5000, 60_000]), entries,
          ...(r.chance(0.3) ? { other: { entries: r.int(20), c: { calls: r.int(100), total_exec_time: r.next() } } } : {}),
          ...(r.chance(0.5) && entries.length > 0 ? { texts: entries.map((e) => ({ queryid: e.queryid, text: r.pick(QUERIES) })) } : {}),
          ...(r.chance(0.1) ? { reset: true } : {}), ...(r.chance(0.3) ? { evicted: r.int(3) } : {}),
        },
      };
    }
    case 'activity': {
      const samples = r.range(1, 15);
      return {
        ...base, type, instance: instance ?? 'main-1',
        data: {
          interval_ms: samples * 1000, sample_ms: 1000, samples,
          groups: Array.from({ length: r.range(0, 5) }, () => ({
            state: r.pick(['active', 'idle in transaction', 'fastpath function call']),
            ...(r.chance(0.6) ? { wait_event_type: 'IO', wait_event: 'DataFileRead' } : {}),
            ...(r.chance(0.6) ? { queryid: queryid(r) } : {}),
            ...(r.chance(0.9) ? { datname: r.pick(DBS), usename: r.pick(USERS) } : {}),
            backend_type: r.pick(['client backend', 'autovacuum worker', 'walsender']), n: r.range(1, samples),
          })),
        },
      };
    }
    case 'settings': {
      const full = r.chance(0.3);
      return {
        ...base, type, instance: instance ?? 'main-1',
        data: {
          full, ...(r.chance(0.5) ? { conf_load_time: k.ts - r.int(86_400_000) } : {}),
          settings: Array.from({ length: r.range(0, full ? 40 : 4) }, (_, i) => ({
            name: `${r.pick(['work_mem', 'shared_buffers', 'max_wal_size', 'search_path', 'jit'])}_${i}`, setting: r.pick(['4096', 'on', '"$user", public', '0.9', '']),
            ...(r.chance(0.5) ? { unit: r.pick(['kB', '8kB', 'ms', 's']) } : {}),
            vartype: r.pick(['bool', 'enum', 'integer', 'real', 'string']), context: r.pick(['user', 'sighup', 'postmaster']),
            ...(r.chance(0.5) ? { category: 'Resource Usage / Memory' } : {}),
            source: r.pick(['default', 'configuration file', 'override']),
            ...(r.chance(0.3) ? { sourcefile: '/etc/postgresql/postgresql.conf', sourceline: r.int(800) } : {}),
            pending_restart: r.chance(0.1),
            ...(r.chance(0.5) ? { boot_val: '4096', reset_val: '8192' } : {}),
          })),
          ...(r.chance(0.1) ? { removed: ['pg_stat_statements.max'] } : {}),
        },
      };
    }
    case 'command.result': {
      const status = r.pick(['ok', 'error', 'refused', 'cancelled', 'skipped'] as const);
      return {
        ...base, type, ...(instance ? { instance } : {}),
        data: {
          id: '0b6c4f1e-7d1a-4c55-9a63-1f2e3d4c5b6a', action: r.pick(['vacuum', 'analyze', 'terminate_backend']), status, duration_ms: r.int(60_000),
          ...(status === 'error' ? { sqlstate: '55P03', error: 'canceling statement due to lock timeout' } : {}),
          ...(status === 'refused' || status === 'skipped' ? { reason: 'outside its window 01:00–05:00' } : {}),
          ...(status === 'ok' ? { output: { statement: 'VACUUM (ANALYZE) "public"."t"', tables: 1 } } : {}),
          ...(r.chance(0.3) ? { task: { id: r.range(1, 50), scheduled_at: k.ts } } : {}),
        },
      };
    }
  }
}

export function encodeValue(value: unknown, encoding: Encoding): Uint8Array {
  return encoding === 'json' ? new TextEncoder().encode(JSON.stringify(value)) : pack(value);
}

/** Strings that trip parsers, encoders and PostgreSQL text: NUL, lone surrogates, BOM, RTL override, non-characters. */
export const UNICODE_GARBAGE = ['\u0000', '\ud800', '\udfff', 'a\udc00b', '\ufeff', '\u202e', '\uffff', '\u{10ffff}', '😀'.repeat(50), 'é\u0301', '\r\n\t', '%00', '../..', '\\u0000', '"', '{', 'null'];

/** Keys that pollute prototypes when code copies objects carelessly. */
export const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

/** A value nested `depth` levels deep, arrays or objects. */
export function nested(depth: number, kind: 'array' | 'object' = 'array'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { d: v };
  return v;
}

/** A value of the wrong type, too large, too deep, too long or otherwise hostile; `heavy` allows deep and long ones. */
export function weirdValue(r: Rand, heavy = true): unknown {
  switch (heavy ? r.int(14) : r.pick([0, 1, 2, 5, 6, 7, 9, 10, 11, 12, 13])) {
    case 0: return r.pick([null, true, false, 0, -0, -1, 0.5, 1e-320, '', '0', '1', 'true', [], {}]);
    case 1: return r.pick([2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, -(2 ** 53)]);
    case 2: return r.pick([NaN, Infinity, -Infinity]);
    case 3: return nested(r.pick([31, 32, 33, 100, 1000]), r.chance(0.5) ? 'array' : 'object');
    case 4: return 'x'.repeat(r.pick([41, 101, 201, 513, 2001, 4001, 20_001, 70_000]));
    case 5: return r.pick(UNICODE_GARBAGE);
    case 6: return r.pick(POLLUTING_KEYS);
    case 7: return r.pick([...MESSAGE_TYPES, 'settings', 'log', 'command.result', 'gauge', 'counter', 'primary', 'ok', 'info']);
    case 8: return Array.from({ length: r.range(1, 5) }, () => weirdValue(r, false));
    case 9: return withOwnKey({ a: 1 }, r.pick(POLLUTING_KEYS), { polluted: true });
    case 10: return new Uint8Array(r.range(0, 64)); // MessagePack bin; JSON turns it into an object
    case 11: return new Date(r.int(2 ** 40)); // MessagePack timestamp extension; JSON turns it into a string
    case 12: return String(r.int(1e9));
    default: return r.word(1, 30, 'abcXYZ019 -_.:*>/\\"\'');
  }
}

/** Sets an own enumerable property even for `__proto__`, as JSON.parse would. */
export function withOwnKey<T extends object>(obj: T, key: string, value: unknown): T {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

type Path = (string | number)[];

const isContainer = (v: unknown): v is object => v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date);

/**
 * A random path from the root down to a value that `want`s it ([] when none on the way does): a random
 * descent, so large inputs cost no more than small ones.
 */
function randomPath(r: Rand, root: unknown, want: (v: unknown) => boolean = () => true): Path {
  const path: Path = [];
  let v = root;
  let found: Path = [];
  while (isContainer(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) break;
    const key = r.pick(keys);
    path.push(Array.isArray(v) ? Number(key) : key);
    v = (v as Record<string, unknown>)[key];
    if (want(v)) found = [...path];
    if (!r.chance(0.7)) break;
  }
  return found;
}

function at(root: unknown, path: Path): unknown {
  let v = root;
  for (const key of path) v = (v as Record<string | number, unknown>)[key];
  return v;
}

/**
 * Changes a decoded envelope (a deep copy of it) the way a buggy or hostile sender
 * would: a field of the wrong type or out of range, removed, duplicated, an extra
 * or polluting key, a swapped type, boundary seq and ts values.
 */
export function mutateValue(r: Rand, env: Envelope, now = 0): unknown {
  const root = structuredClone(env) as unknown as Record<string, unknown>;
  // A large change (deep, long, grown) in a few messages, one per message at most, so no input is much past the 1 MiB limit.
  let heavy = r.chance(0.1);
  const weird = () => {
    const v = weirdValue(r, heavy);
    if (typeof v === 'string' ? v.length > 1000 : v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date)) heavy = false;
    return v;
  };
  for (let n = r.range(1, 3); n > 0; n--) {
    const path = randomPath(r, root);
    if (path.length === 0) continue;
    const parent = at(root, path.slice(0, -1)) as Record<string | number, unknown>;
    const key = path[path.length - 1];
    const current = parent[key];
    switch (r.int(11)) {
      case 0: case 1: case 2: parent[key] = weird(); break;
      case 3:
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 4: { // an extra key in an object
        const target = at(root, randomPath(r, root, (v) => isContainer(v) && !Array.isArray(v)));
        withOwnKey(target as object, r.chance(0.5) ? r.pick(POLLUTING_KEYS) : r.pick(['extra', '', 'x'.repeat(300), 'é', 'seq', 'data', ...UNICODE_GARBAGE]), weird());
        break;
      }
      case 5: // the same type, another representation
        parent[key] = typeof current === 'number' ? String(current) : typeof current === 'string' ? Number(current) || current.length
          : typeof current === 'boolean' ? String(current) : Array.isArray(current) ? Object.assign({}, current) : current && typeof current === 'object' ? Object.values(current) : [current];
        break;
      case 6: { // grow an array (by duplicating its elements) or a string, to at most about 1.1 MB
        const size = JSON.stringify(current)?.length ?? 1;
        const times = heavy ? Math.max(2, Math.min(r.pick([2, 50, 5001, 20_001]), Math.floor(1_100_000 / size))) : 2;
        heavy = false;
        if (Array.isArray(current) && current.length > 0) parent[key] = Array.from({ length: times * current.length }, (_, i) => current[i % current.length]);
        else if (typeof current === 'string') parent[key] = current.repeat(times);
        else parent[key] = [current, current];
        break;
      }
      case 7: // the envelope's own fields at and past their bounds
        switch (r.int(7)) {
          case 0: root.seq = r.pick([0, -1, 1, 1.5, 2 ** 53 - 1, 2 ** 53, 2 ** 63, NaN, '1']); break;
          case 1: root.ts = r.pick([-1, 0, 1.5, 8.64e15, 8.64e15 + 1, now + 2 * 86_400_000, now - 30 * 86_400_000, '0']); break;
          case 2: root.v = r.pick([0, 2, '1', 1.0000001, null]); break;
          case 3: root.agent = r.pick(['', 'a.b', 'a b', 'a*', 'a>', 'x'.repeat(101), 'ok-agent', ...UNICODE_GARBAGE]); break;
          case 4: root.instance = r.pick(['', 'i.1', 'i 1', 'x'.repeat(101), null, 7, ...UNICODE_GARBAGE]); break;
          case 5: delete root.instance; break;
          default: root.type = r.pick([...MESSAGE_TYPES, 'settings', '', 'x'.repeat(41), ...POLLUTING_KEYS, 7, null]);
        }
        break;
      case 8: // swap two values of one container
        if (isContainer(current)) {
          const keys = Object.keys(current);
          if (keys.length >= 2) {
            const c = current as Record<string, unknown>;
            const [a, b] = [r.pick(keys), r.pick(keys)];
            [c[a], c[b]] = [c[b], c[a]];
          }
        }
        break;
      case 9: root.data = validEnvelope(r, r.pick(MESSAGE_TYPES), { agent: 'x', seq: 1, ts: 1, instance: 'i-1' }).data; break;
      default:
        parent[key] = nested(heavy ? r.pick([30, 33, 64, 2000]) : 33, r.chance(0.5) ? 'array' : 'object');
        heavy = false;
    }
  }
  return root;
}

/** MessagePack type bytes worth swapping in: every family, the lengths at their edges, and the never-used 0xc1. */
export const MSGPACK_TYPE_BYTES = [
  0x00, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x91, 0x9f, 0xa0, 0xa5, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9,
  0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd,
  0xde, 0xdf, 0xe0, 0xff,
];

/** Offsets of the header byte of every value in well-formed MessagePack (stops at the first malformed one). */
export function msgpackHeaders(b: Uint8Array): number[] {
  const out: number[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  let pending = 1; // values still to read
  while (pending > 0 && i < b.length) {
    pending--;
    out.push(i);
    const t = b[i++];
    let skip = 0;
    let children = 0;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) skip = 0;
    else if (t <= 0x8f) children = 2 * (t & 0x0f);
    else if (t <= 0x9f) children = t & 0x0f;
    else if (t <= 0xbf) skip = t & 0x1f;
    else {
      const need = (n: number) => (i + n <= b.length ? n : -1);
      switch (t) {
        case 0xc4: case 0xd9: skip = need(1) < 0 ? 0 : 1 + b[i]; break;
        case 0xc5: case 0xda: skip = need(2) < 0 ? 0 : 2 + dv.getUint16(i); break;
        case 0xc6: case 0xdb: skip = need(4) < 0 ? 0 : 4 + dv.getUint32(i); break;
        case 0xc7: skip = need(2) < 0 ? 0 : 2 + b[i]; break;
        case 0xc8: skip = need(3) < 0 ? 0 : 3 + dv.getUint16(i); break;
        case 0xc9: skip = need(5) < 0 ? 0 : 5 + dv.getUint32(i); break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break;
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xdc: children = need(2) < 0 ? 0 : dv.getUint16(i); skip = 2; break;
        case 0xdd: children = need(4) < 0 ? 0 : dv.getUint32(i); skip = 4; break;
        case 0xde: children = need(2) < 0 ? 0 : 2 * dv.getUint16(i); skip = 2; break;
        case 0xdf: children = need(4) < 0 ? 0 : 2 * dv.getUint32(i); skip = 4; break;
        default: return out; // 0xc1
      }
    }
    i += skip;
    pending += children;
  }
  return out;
}

function splice(b: Uint8Array, start: number, count: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const remove = Math.min(count, b.length - start);
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, start), 0);
  out.set(insert, start);
  out.set(b.subarray(start + remove), start + insert.length);
  return out;
}

/** Byte-level damage: flips, replacements, truncation, insertion, deletion, duplicated ranges, swapped MessagePack type bytes. */
export function mutateBytes(r: Rand, src: Uint8Array, encoding: Encoding): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const headers = encoding === 'msgpack' ? msgpackHeaders(b) : [];
  for (let n = r.range(1, 4); n > 0 && b.length > 0; n--) {
    const i = r.int(b.length);
    switch (r.int(9)) {
      case 0: b[i] ^= 1 << r.int(8); break;
      case 1: b[i] = r.int(256); break;
      case 2: b = b.subarray(0, i); break;
      case 3: b = splice(b, i, 0, r.bytes(r.range(1, 8))); break;
      case 4: b = splice(b, i, r.range(1, 16)); break;
      case 5: { // duplicate a range somewhere
        const len = r.range(1, 64);
        b = splice(b, r.int(b.length), 0, b.slice(i, i + len));
        break;
      }
      case 6: case 7: // another MessagePack type byte at a value's header (or anywhere in JSON)
        if (headers.length > 0) {
          const h = r.pick(headers);
          if (h < b.length) b[h] = r.pick(MSGPACK_TYPE_BYTES);
        } else b[i] = r.pick([0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x3a, 0x2c, 0x5c, 0x30, 0x2d, 0x2e, 0x65, 0x00, 0xff]);
        break;
      default: { // swap two ranges' bytes
        const j = r.int(b.length);
        const len = Math.min(r.range(1, 8), b.length - i, b.length - j);
        const x = b.slice(i, i + len);
        b.set(b.slice(j, j + len), i);
        b.set(x, j);
      }
    }
  }
  return b;
}

/** JSON text-level damage: literals JSON does not have or that overflow, bad escapes, duplicate or polluting keys, a BOM, trailing commas. */
export function mutateJsonText(r: Rand, text: string): Uint8Array {
  let t = text;
  for (let n = r.range(1, 2); n > 0; n--) {
    switch (r.int(9)) {
      case 0: { // a number becomes an odd literal
        const nums = [...t.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
        if (nums.length > 0) {
          const m = r.pick(nums);
          t = t.slice(0, m.index) + r.pick(['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '1e-999', '0x10', '01', '1.', '.5', '-', '1e', '99999999999999999999999', '9007199254740993', '-0', '1E400', 'null', 'true', '"1"']) + t.slice(m.index! + m[0].length);
        }
        break;
      }
      case 1: { // a string literal becomes a bad or hostile one
        const strs = [...t.matchAll(/"(?:[^"\\]|\\.)*"/g)];
        if (strs.length > 0) {
          const m = r.pick(strs);
          t = t.slice(0, m.index) + r.pick(['"\\x41"', '"\\u12"', '"\\ud800"', '"\\udc00\\ud800"', '"\\u0000"', '"unterminated', '"tab\there"', '"new\nline"', '"\\uFEFF"', `"${'\\u00e9'.repeat(3000)}"`, '""', "'single'"]) + t.slice(m.index! + m[0].length);
        }
        break;
      }
      case 2: { // a duplicate or polluting key right after an object starts
        const opens = [...t.matchAll(/\{/g)];
        if (opens.length > 0) {
          const m = r.pick(opens);
          const entry = r.pick(['"__proto__":{"v":2,"seq":-1}', '"constructor":{"prototype":{"x":1}}', '"seq":"one"', '"data":null', '"type":"settings"', '"v":2', '"__proto__":null', '"prototype":[]']);
          t = `${t.slice(0, m.index! + 1)}${entry},${t.slice(m.index! + 1)}`;
        }
        break;
      }
      case 3: t = `\ufeff${t}`; break;
      case 4: t = t.replace(/([}\]])/, ',$1'); break;
      case 5: t = `${t.slice(0, r.int(t.length))}/* c */${t.slice(r.int(t.length))}`; break;
      case 6: t = `${'['.repeat(r.pick([10, 1000, 20_000]))}${t}`; break;
      case 7: t = t.replace(/:/, r.pick(['=', '::', ' : ', ''])); break;
      default: t = `${t}${r.pick([' ', '\n', 'x', '}', ',', '\u0000', '{}'])}`;
    }
  }
  return new TextEncoder().encode(t);
}

/** Purely random bytes; some start like a MessagePack map or a JSON object so they get past the first byte. */
export function randomBytes(r: Rand, maxLen = 512): Uint8Array {
  const b = r.bytes(r.int(maxLen + 1));
  if (b.length > 0 && r.chance(0.5)) b[0] = r.pick([0x7b, 0x5b, 0x80 | r.int(16), 0x90 | r.int(16), 0xde, 0xdf, 0xdc, 0xdd]);
  return b;
}

/** Random text from JSON's alphabet, so the JSON parser gets deeper than its first character. */
export function randomJsonish(r: Rand): Uint8Array {
  const tokens = ['{', '}', '[', ']', ':', ',', '"', '"v"', '"type"', '"seq"', '"data"', '1', '-1', '0.5', '1e5', 'true', 'null', ' ', '\\', '"metrics"', '"a"'];
  let t = r.pick(['{', '[']);
  for (let n = r.int(60); n > 0; n--) t += r.pick(tokens);
  return new TextEncoder().encode(t);
}

/**
 * A random value that is well-formed MessagePack or JSON with envelope-like keys
 * (so it reaches the envelope and payload checks).
 */
export function randomEnvelopeLike(r: Rand): Record<string, unknown> {
  const keys = ['v', 'type', 'agent', 'instance', 'seq', 'ts', 'data'];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (r.chance(0.85)) out[k] = r.chance(0.5) ? weirdValue(r) : ({ v: 1, type: r.pick(MESSAGE_TYPES), agent: 'a-1', instance: 'i-1', seq: r.range(1, 1e6), ts: 1_700_000_000_000, data: {} } as Record<string, unknown>)[k];
  return out;
}
