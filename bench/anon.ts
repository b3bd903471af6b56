// bench:anon — an anonymizing copy (`sync`) of a generated database of more than 1 GB with 10 masked
// columns, against the baseline of the same copy with nothing masked (COPY out → COPY in, byte for
// byte, same parallelism, same schema, keys and indexes after the data), in the same run on the same
// PostgreSQL. Goal (issue 8): masked throughput ≥ 0.5 × the plain copy's.
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { anonCopy, type CopyProgress, type CopyReport } from '../src/anon-db/index.ts';
import type { Dictionary } from '../src/anon/index.ts';
import { startTestPostgres } from '../test/harness/index.ts';
import { machine, record } from './machine.ts';

const { values } = parseArgs({ options: {
  scale: { type: 'string', default: '1' },
  jobs: { type: 'string', default: '2' },
  rounds: { type: 'string', default: '1' },
} });
const SCALE = Number(values.scale);
const JOBS = Number(values.jobs);
const ROUNDS = Number(values.rounds);
const PEOPLE = Math.round(2_500_000 * SCALE);
const CARDS = Math.round(2_500_000 * SCALE);
const EVENTS = Math.round(3_000_000 * SCALE);
const KEY = 'bench-key-0123456789abcdef0123456789';

/** The 10 masked columns. */
const DICTIONARY: Dictionary = {
  version: 1,
  columns: [
    { table: 'people', column: 'first_name', rule: { rule: 'fake', kind: 'first_name' } },
    { table: 'people', column: 'last_name', rule: { rule: 'fake', kind: 'last_name' } },
    { table: 'people', column: 'email', rule: { rule: 'fake', kind: 'email' } },
    { table: 'people', column: 'phone', rule: { rule: 'fake', kind: 'phone' } },
    { table: 'people', column: 'birth_date', rule: { rule: 'generalize', to: 'year' } },
    { table: 'people', column: 'inn', rule: { rule: 'fake', kind: 'inn' } },
    { table: 'people', column: 'address', rule: { rule: 'fake', kind: 'address' } },
    { table: 'cards', column: 'card_number', rule: { rule: 'fake', kind: 'card_number' } },
    { table: 'cards', column: 'iban', rule: { rule: 'fake', kind: 'iban' } },
    { table: 'events', column: 'payload', rule: { rule: 'json', paths: { '$.email': { rule: 'fake', kind: 'email' } } } },
  ],
};

const log = (s: string): void => { process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`); };

const pg = await startTestPostgres(16, { shared_buffers: '512MB', max_wal_size: '8GB', checkpoint_timeout: '30min' });
const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
try {
  await admin.unsafe('create database src');
  const src = postgres(pg.urlFor('src'), { max: 1, onnotice: () => {} });
  const t0 = Date.now();
  log(`generating ${PEOPLE} people, ${CARDS} cards, ${EVENTS} events`);
  await src.unsafe(`
    create table people (id bigint primary key, first_name text not null, last_name text not null, email text not null unique, phone text, birth_date date,
      inn text, address text, city text not null, created_at timestamptz not null, balance numeric(12,2) not null, status text not null, bio text);
    insert into people select g,
      (array['Oliver','Amelia','Harry','Isla','George','Ava','Noah','Mia','Jack','Ivy','Leo','Lily','Arthur','Rosie','Muhammad','Florence','Oscar','Freya','Charlie','Grace'])[1 + g % 20],
      (array['Abbott','Barker','Carver','Dalton','Easton','Fowler','Garner','Hadley','Irwin','Jarvis','Keller','Lawson','Mercer','Nash','Oakley','Parsons','Quinn','Rowe','Sutton','Tate'])[1 + (g / 20) % 20],
      'user' || g || '@example.org', '+44 20 ' || lpad((g % 100000000)::text, 8, '0'), date '1950-01-01' + ((g::int8 * 7919) % 18000)::int,
      lpad((g * 31)::text, 10, '0'), (g % 9999) || ' Long Street, Flat ' || (g % 300),
      (array['Leeds','York','Bath','Hull','Derby'])[1 + g % 5], timestamptz '2020-01-01' + g * interval '7 seconds', (g % 100000) / 7.0, 'active',
      'Customer since ' || (2000 + g % 25) || ', prefers e-mail, segment ' || (g % 17)
    from generate_series(1, ${PEOPLE}) g;
    create table cards (id bigint primary key, person_id bigint not null references people(id), card_number text not null, iban text, amount numeric(12,2), at timestamptz, memo text);
    insert into cards select g, 1 + g % ${PEOPLE}, '4539' || lpad((g * 7)::text, 12, '0'), 'GB' || lpad((g % 97)::text, 2, '0') || 'NWBK' || lpad((g * 13)::text, 14, '0'),
      (g % 50000) / 3.0, timestamptz '2023-01-01' + g * interval '3 seconds', 'payment for order ' || g || ' by card, settled'
    from generate_series(1, ${CARDS}) g;
    create table events (id bigint primary key, person_id bigint references people(id), kind text not null, at timestamptz not null, payload jsonb, ua text);
    insert into events select g, 1 + g % ${PEOPLE}, (array['view','cart','search','login'])[1 + g % 4], timestamptz '2024-01-01' + g * interval '1 second',
      jsonb_build_object('email', 'user' || (1 + g % ${PEOPLE}) || '@example.org', 'page', '/catalog/' || (g % 5000), 'ms', g % 900),
      'Mozilla/5.0 (X11; Linux x86_64) bench/' || (g % 40)
    from generate_series(1, ${EVENTS}) g;
    analyze;`);
  const [size] = await src`select pg_database_size('src')::float8 as bytes, (select sum(pg_table_size(c.oid))::float8 from pg_class c where c.relname in ('people', 'cards', 'events')) as tables`;
  log(`generated in ${((Date.now() - t0) / 1000).toFixed(0)} s: database ${(size.bytes / 2 ** 30).toFixed(2)} GiB, tables ${(size.tables / 2 ** 30).toFixed(2)} GiB`);
  await src.end();

  /** One copy into a fresh database; wall time of the data phase and of the whole copy. */
  async function run(name: string, dictionary: Dictionary): Promise<{ report: CopyReport; dataS: number; totalS: number }> {
    await admin.unsafe(`drop database if exists ${name}`);
    await admin.unsafe(`create database ${name}`);
    let dataStart = 0;
    let dataEnd = 0;
    const started = Date.now();
    const cpu0 = process.cpuUsage();
    const report = await anonCopy({
      mode: 'sync', source: pg.urlFor('src'), target: pg.urlFor(name), dictionary, key: KEY, jobs: JOBS,
      onProgress: (p: CopyProgress) => {
        if (p.phase === 'data' && !dataStart) dataStart = Date.now();
        if (p.phase === 'constraints' && !dataEnd) dataEnd = Date.now();
      },
    });
    const used = process.cpuUsage(cpu0);
    const r = { report, dataS: (dataEnd - dataStart) / 1000, totalS: (Date.now() - started) / 1000, nodeCpuS: (used.user + used.system) / 1e6 };
    log(`${name}: ${report.rows} rows, ${(report.bytes / 1e6).toFixed(0)} MB, ${report.maskThreads} masking threads; data ${r.dataS.toFixed(1)} s, whole copy ${r.totalS.toFixed(1)} s, this process's CPU ${r.nodeCpuS.toFixed(1)} s`);
    await admin.unsafe(`drop database ${name}`);
    return r;
  }

  const plain: Awaited<ReturnType<typeof run>>[] = [];
  const masked: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(await run('plain_copy', { version: 1, columns: [] }));
    masked.push(await run('masked_copy', DICTIONARY));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fig = (runs: typeof plain) => {
    const bytes = runs[0].report.bytes;
    const rows = runs[0].report.rows;
    const dataS = median(runs.map((r) => r.dataS));
    const totalS = median(runs.map((r) => r.totalS));
    return { rows, mb: Math.round(bytes / 1e6), data_s: Number(dataS.toFixed(1)), total_s: Number(totalS.toFixed(1)),
      data_mb_per_s: Number((bytes / 1e6 / dataS).toFixed(1)), data_rows_per_s: Math.round(rows / dataS),
      total_mb_per_s: Number((bytes / 1e6 / totalS).toFixed(1)), total_rows_per_s: Math.round(rows / totalS) };
  };
  const p = fig(plain);
  const m = fig(masked);
  const figures = [
    { figure: 'plain_copy', ...p, jobs: JOBS },
    { figure: 'masked_copy', ...m, jobs: JOBS, masked_columns: DICTIONARY.columns.length },
    { figure: 'ratio', data: Number((m.data_mb_per_s / p.data_mb_per_s).toFixed(2)), whole_copy: Number((m.total_mb_per_s / p.total_mb_per_s).toFixed(2)), goal: 0.5,
      source_db_gib: Number((size.bytes / 2 ** 30).toFixed(2)), rounds: ROUNDS, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) },
  ];
  record('anon', figures, machine({ postgres: String(pg.major) }),
    `pgfleet anon sync of a generated database (${PEOPLE} people, ${CARDS} cards, ${EVENTS} events; ${(size.bytes / 2 ** 30).toFixed(2)} GiB) with ${DICTIONARY.columns.length} masked columns `
    + `(fakes of names, e-mail, phone, INN, address, card number, IBAN; a birth date generalised; an e-mail inside jsonb), against the same copy with nothing masked `
    + `(COPY out → COPY in byte for byte), ${JOBS} tables at once, source and target databases on one PostgreSQL ${pg.major}. MB counts COPY text read from the source. `
    + `"data" is the data phase alone; "whole copy" adds schema, keys, indexes, foreign keys and ANALYZE, the same work in both. Median of ${ROUNDS} round(s).`);
} finally {
  await admin.end({ timeout: 1 });
  await pg.destroy();
}
