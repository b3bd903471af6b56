// Issue 8, points 1 and 4, on real PostgreSQL: the scan finds every seeded sensitive column and few
// others; `sync` leaves no original value anywhere in the target, keeps every foreign key and row
// count, and gives the same target twice with the same key; dump + restore gives that target too;
// a subset stays consistent over foreign keys; a copy killed halfway is marked incomplete and the
// same command finishes it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import postgres, { type Sql } from 'postgres';
import { parseDictionary, type Dictionary } from '../src/anon/index.ts';
import { anonCopy, AnonError, dictionaryYaml, scanDatabase } from '../src/anon-db/index.ts';
import { availableMajors, runPgfleet, startTestPostgres, tempDir, waitFor, type TestPostgres } from './harness/index.ts';
import { SENSITIVE, seedNamesAreNotFakes, seedShop } from './anon-seed.ts';

const KEY = 'a-test-key-of-32-characters-long';
let pg: TestPostgres | undefined;
let old: TestPostgres | undefined;
const dir = tempDir('pgfleet-anon-');
const open: Sql[] = [];
const connect = (url: string): Sql => { const s = postgres(url, { max: 2, onnotice: () => {} }); open.push(s); return s; };
let admin: Sql;
let source: Sql;
let dictionary: Dictionary;

before(async () => {
  pg = await startTestPostgres(16);
  admin = connect(pg.url);
  for (const db of ['shop', 'copy1', 'copy2', 'copy3', 'copy4', 'copy5', 'copy6']) await admin.unsafe(`create database ${db}`);
  source = connect(pg.urlFor('shop'));
  await seedShop(source);
});
after(async () => {
  for (const s of open) await s.end({ timeout: 1 }).catch(() => {});
  await pg?.destroy();
  await old?.destroy();
  dir.remove();
});

/** Every table's rows in primary-key order, as one digest per table. */
async function digests(sql: Sql): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of ['customers', 'orders', 'payments', 'newsletter', 'products']) {
    const [r] = await sql.unsafe(`select md5(coalesce(string_agg(t::text, E'\\n' order by t.id), '')) as d from ${t} t`);
    out[t] = r.d as string;
  }
  return out;
}

const counts = async (sql: Sql): Promise<Record<string, number>> => Object.fromEntries(await Promise.all(
  ['customers', 'orders', 'payments', 'newsletter', 'products'].map(async (t) => [t, (await sql.unsafe(`select count(*)::int as n from ${t}`))[0].n as number])));

test('the scan finds every seeded sensitive column, few others, and keeps an earlier decision', async (t) => {
  assert.ok(seedNamesAreNotFakes(), 'the seed names are none of the fakes');
  const r = await scanDatabase(source, { sampleRows: 500 });
  const flagged = new Set(r.findings.map((f) => `${f.schema}.${f.table}.${f.column}`));
  const missed = SENSITIVE.filter((c) => !flagged.has(c));
  assert.deepEqual(missed, [], `recall: missed ${missed.join(', ')}`);
  const nonSensitive = r.columns - SENSITIVE.length;
  const falsePositives = [...flagged].filter((c) => !SENSITIVE.includes(c));
  assert.ok(falsePositives.length < 0.1 * nonSensitive, `flagged ${falsePositives.length} of ${nonSensitive} non-sensitive columns: ${falsePositives.join(', ')}`);
  t.diagnostic(`scan: ${SENSITIVE.length - missed.length}/${SENSITIVE.length} seeded sensitive columns found; ${falsePositives.length} of ${nonSensitive} other columns flagged${falsePositives.length ? ` (${falsePositives.join(', ')})` : ''}`);
  const by = (c: string) => r.findings.find((f) => `${f.schema}.${f.table}.${f.column}` === c)!;
  // The newsletter's recipient references customers.email: the same rule, so the foreign key holds.
  assert.deepEqual(by('public.newsletter.recipient').rule, by('public.customers.email').rule);
  assert.equal(by('public.payments.instrument').kind, 'card_number');
  assert.match(by('public.payments.instrument').evidence, /card_number in \d+\/\d+/);
  assert.equal(by('public.customers.tax_ref').kind, 'inn');
  assert.equal(by('public.customers.pension_ref').kind, 'snils');
  assert.equal(by('public.payments.account').kind, 'iban');
  assert.equal(by('public.orders.comment').rule.rule, 'scrub');
  assert.deepEqual(Object.keys((by('public.customers.profile').rule as { paths: object }).paths).sort(), ['$.contact.email', '$.contact.phone']);

  // A dictionary written, reviewed (the reviewer keeps phone as it is), then scanned again: the decision stays.
  const text = dictionaryYaml(r.dictionary, 'test');
  dictionary = parseDictionary(text);
  const reviewed = parseDictionary(dictionaryYaml({ ...dictionary, columns: dictionary.columns.map((c) => (c.table === 'customers' && c.column === 'phone' ? { ...c, rule: { rule: 'keep' as const } } : c)) }, 'reviewed'));
  const again = await scanDatabase(source, { sampleRows: 500, previous: reviewed });
  assert.equal(again.findings.some((f) => f.table === 'customers' && f.column === 'phone'), false, 'phone stays kept');
  assert.deepEqual(again.dictionary.columns.slice(0, reviewed.columns.length), reviewed.columns);
  writeFileSync(join(dir.path, 'dictionary.yaml'), text);
});

test('sync: no original value in the target, foreign keys and counts hold, the same key gives the same target', async (t) => {
  assert.ok(dictionary, 'the scan test ran first');
  const r1 = await anonCopy({ mode: 'sync', source: pg!.urlFor('shop'), target: pg!.urlFor('copy1'), dictionary, key: KEY, jobs: 2 });
  const target = connect(pg!.urlFor('copy1'));
  assert.deepEqual(await counts(target), await counts(source));
  assert.equal(r1.rows, 300 + 900 + 900 + 150 + 50);
  assert.equal(r1.rules.scrub, 1, JSON.stringify(r1.rules));

  // Every original value of every sensitive column, searched for in every column of every table of the target.
  const originals = new Set<string>();
  for (const c of SENSITIVE) {
    const [, table, column] = c.split('.');
    if (column === 'profile') {
      for (const r of await source.unsafe(`select profile #>> '{contact,email}' as e, profile #>> '{contact,phone}' as p from customers`)) { originals.add(r.e); originals.add(r.p); }
      continue;
    }
    for (const r of await source.unsafe(`select ${column}::text as v from ${table} where ${column} is not null`)) originals.add(r.v as string);
  }
  let haystack = '';
  for (const t of await target`select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')`) {
    for (const row of await target.unsafe(`select t::text as v from ${t.table_schema}.${t.table_name} t`)) haystack += `${row.v}\u0001`;
  }
  // The search sees the target's data: a value that is not sensitive is there as it was.
  assert.ok(haystack.includes('Sturdy and simple, 61 cm wide'));
  const leaks = [...originals].filter((v) => v.length >= 4 && haystack.includes(v));
  t.diagnostic(`${originals.size} original values searched in ${haystack.length} characters of the target: ${leaks.length} found`);
  assert.equal(originals.size > 2500, true, `${originals.size} original values`);
  assert.deepEqual(leaks.slice(0, 10), [], `${leaks.length} original values found in the target`);

  // Foreign keys were created after the data (so they were checked); joins still match.
  const [fk] = await target`select count(*)::int as n from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace`;
  assert.equal(fk.n, 3);
  const [orphans] = await target`select (select count(*) from newsletter n left join customers c on c.email = n.recipient where c.id is null)::int as n`;
  assert.equal(orphans.n, 0);
  // Sequences continue after the copied rows; the view and the index came along.
  const [seq] = await target`select nextval('customers_id_seq')::int as n`;
  assert.equal(seq.n, 301);
  assert.equal((await target`select count(*)::int as n from customer_totals`)[0].n, 300);
  assert.equal((await target`select count(*)::int as n from pg_indexes where indexname = 'orders_customer'`)[0].n, 1);
  const [run] = await target`select status, report->>'rows' as rows from pgfleet_anon.run`;
  assert.equal(run.status, 'complete');
  // Masked values keep their form: a card passes Luhn, a birth date becomes the year's first day.
  const [c] = await target`select birth_date::text as b, email from customers where id = 1`;
  assert.match(c.b, /^\d{4}-01-01$/);
  assert.match(c.email, /@/);

  await anonCopy({ mode: 'sync', source: pg!.urlFor('shop'), target: pg!.urlFor('copy2'), dictionary, key: KEY, jobs: 3 });
  assert.deepEqual(await digests(connect(pg!.urlFor('copy2'))), await digests(target), 'two runs with the same key');

  // The target holds a finished copy: a second sync into it is refused, nothing changed.
  await assert.rejects(anonCopy({ mode: 'sync', source: pg!.urlFor('shop'), target: pg!.urlFor('copy1'), dictionary, key: KEY }), (e: AnonError) => e.code === 'PGFLEET_ANON_TARGET_NOT_EMPTY' && /finished copy/.test(e.message));
});

test('dump then restore gives the same target as sync; restore.sql is written for psql', async () => {
  const out = join(dir.path, 'dump');
  await anonCopy({ mode: 'dump', source: pg!.urlFor('shop'), dir: out, dictionary, key: KEY, jobs: 2 });
  assert.ok(existsSync(join(out, 'pre-data.sql')) && existsSync(join(out, 'post-data.sql')) && !existsSync(join(out, 'INCOMPLETE')));
  assert.match(readFileSync(join(out, 'restore.sql'), 'utf8'), /\\copy "public"\."customers"/);
  // No original e-mail in the dump files either.
  const data = readFileSync(join(out, JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).tables.find((t: { name: string }) => t.name === 'customers').file), 'utf8');
  assert.doesNotMatch(data, /@mailhost\.test/);
  await anonCopy({ mode: 'restore', dir: out, target: pg!.urlFor('copy3'), jobs: 2 });
  assert.deepEqual(await digests(connect(pg!.urlFor('copy3'))), await digests(connect(pg!.urlFor('copy1'))));
});

test('pre-flight refuses before copying: an overflowing rule, a typo in a column name, a bad subset condition', async () => {
  const bad = parseDictionary(`${dictionaryYaml(dictionary, 'x')}
`.replace(/^columns:\n/m, `columns:
  - { table: payments, column: instrument, rule: { rule: fake, kind: iban } }
  - { table: customers, column: emial, rule: { rule: 'null' } }
`).replace(/^version: 1$/m, `version: 1
subset:
  - { table: orders, where: "no_such_column > 1" }`));
  await assert.rejects(anonCopy({ mode: 'sync', source: pg!.urlFor('shop'), target: pg!.urlFor('copy4'), dictionary: bad, key: KEY }), (e: AnonError) => {
    assert.equal(e.code, 'PGFLEET_ANON_PREFLIGHT');
    assert.ok(e.problems.some((p) => /payments\.instrument .*longer than the column's 19/.test(p)), e.message);
    assert.ok(e.problems.some((p) => /emial.*matches no column/.test(p)), e.message);
    assert.ok(e.problems.some((p) => /subset public\.orders: .*no_such_column/.test(p)), e.message);
    return true;
  });
  const copy4 = connect(pg!.urlFor('copy4'));
  assert.equal((await copy4`select count(*)::int as n from pg_namespace where nspname = 'pgfleet_anon'`)[0].n, 0, 'nothing was written');

  // Issue 8, point 2 exactly: a fake e-mail into varchar(15), a fake first name into a UNIQUE column of 5,000 rows.
  await admin.unsafe('create database pre');
  const pre = connect(pg!.urlFor('pre'));
  await pre.unsafe(`create table members (id int primary key, email varchar(15) not null, nick text unique);
    insert into members select g, 'm' || g || '@x.io', 'nick' || g from generate_series(1, 5000) g; analyze members;`);
  const d = parseDictionary(`version: 1
columns:
  - { table: members, column: email, rule: { rule: fake, kind: email } }
  - { table: members, column: nick, rule: { rule: fake, kind: first_name } }
`);
  await assert.rejects(anonCopy({ mode: 'sync', source: pg!.urlFor('pre'), target: pg!.urlFor('copy6'), dictionary: d, key: KEY }), (e: AnonError) => {
    assert.equal(e.problems.length, 2, e.message);
    assert.match(e.problems[0], /members\.email \(character varying\(15\)\): fake email gives values up to \d+ characters, longer than the column's 15/);
    assert.match(e.problems[1], /members\.nick \(text\): fake first_name takes \d+ values; 5000 rows of a UNIQUE column would repeat one/);
    return true;
  });
  assert.equal((await connect(pg!.urlFor('copy6'))`select count(*)::int as n from pg_class where relname = 'members'`)[0].n, 0, 'no table created');
});

test('a subset keeps its foreign keys: orders and payments follow the customers chosen', async () => {
  const sub: Dictionary = { ...dictionary, subset: [{ table: 'customers', where: 'id <= 60' }] };
  const r = await anonCopy({ mode: 'sync', source: pg!.urlFor('shop'), target: pg!.urlFor('copy4'), dictionary: sub, key: KEY });
  const t = connect(pg!.urlFor('copy4'));
  const [want] = await source`select
    (select count(*) from orders where customer_id <= 60)::int as orders,
    (select count(*) from payments p join orders o on o.id = p.order_id where o.customer_id <= 60)::int as payments,
    (select count(*) from newsletter n join customers c on c.email = n.recipient where c.id <= 60)::int as newsletter`;
  const got = await counts(t);
  assert.deepEqual({ customers: got.customers, orders: got.orders, payments: got.payments, newsletter: got.newsletter }, { customers: 60, orders: want.orders, payments: want.payments, newsletter: want.newsletter });
  assert.equal(got.products, 50);
  assert.ok(r.tables.find((x) => x.name === 'public.payments')?.subset, 'the report says payments was copied in part');
});

test('killed halfway: the target says incomplete; the same command finishes it (PostgreSQL 13 source)', async (t) => {
  old = await startTestPostgres(13);
  const oldAdmin = connect(old.url);
  await oldAdmin.unsafe('create database shop');
  await seedShop(connect(old.urlFor('shop')), { extraRows: 1_500_000 });
  writeFileSync(join(dir.path, 'key'), KEY);
  const args = ['anon', 'sync', '--source', old.urlFor('shop'), '--target', pg!.urlFor('copy5'), '--dictionary', join(dir.path, 'dictionary.yaml'), '--key-file', join(dir.path, 'key'), '--jobs', '2', '--progress', 'lines'];
  const first = runPgfleet(args);
  const target = connect(pg!.urlFor('copy5'));
  // Kill once some tables are in and the large one is still on its way.
  await waitFor('a table copied', async () => {
    const [m] = await target`select to_regclass('pgfleet_anon.step') is not null as ok`;
    return m.ok && (await target`select count(*)::int as n from pgfleet_anon.step where name like 'table:%'`)[0].n >= 2;
  }, 120_000, 20);
  await first.kill();
  const atKill = (await target`select string_agg(name, ', ' order by name) as s from pgfleet_anon.step`)[0].s;
  const [run] = await target`select status from pgfleet_anon.run`;
  assert.equal(run.status, 'incomplete');
  const [comment] = await target`select shobj_description(oid, 'pg_database') as c from pg_database where datname = current_database()`;
  assert.match(comment.c, /^INCOMPLETE masked copy/);
  const [events] = await target`select count(*)::int as n from events`;
  assert.ok(events.n < 1_500_000, `events half copied is not visible: ${events.n}`);
  t.diagnostic(`killed with ${atKill} done; events on the target at the kill: ${events.n} rows`);

  const second = runPgfleet(args);
  await new Promise<void>((r) => second.child.on('exit', () => r()));
  assert.equal(second.child.exitCode, 0, second.output());
  assert.match(second.output(), /finished an earlier incomplete run/);
  assert.equal((await target`select status from pgfleet_anon.run`)[0].status, 'complete');
  assert.equal((await target`select count(*)::int as n from events`)[0].n, 1_500_000);
  // The finished copy equals an uninterrupted one (same source data, dictionary and key).
  assert.deepEqual(await digests(target), await digests(connect(pg!.urlFor('copy1'))));
});

test('sources on every other PostgreSQL major give the same masked copy (schema from the catalog, no pg_dump)', async (t) => {
  const want = await digests(connect(pg!.urlFor('copy1')));
  for (const major of availableMajors().filter((m) => m !== 16 && m !== 13)) {
    const src = await startTestPostgres(major);
    try {
      const a = postgres(src.url, { max: 1, onnotice: () => {} });
      await a.unsafe('create database shop');
      await a.end();
      const s = postgres(src.urlFor('shop'), { max: 1, onnotice: () => {} });
      await seedShop(s);
      await s.end();
      const name = `from${major}`;
      await admin.unsafe(`create database ${name}`);
      await anonCopy({ mode: 'sync', source: src.urlFor('shop'), target: pg!.urlFor(name), dictionary, key: KEY });
      assert.deepEqual(await digests(connect(pg!.urlFor(name))), want, `PostgreSQL ${major} source`);
      t.diagnostic(`PostgreSQL ${major} → 16: the same target as from 16`);
    } finally {
      await src.destroy();
    }
  }
});

test('partitions, an index on a partitioned table, a foreign key to a unique index; a partition key or a typo refused; a value a rule cannot mask fails the copy cleanly', async () => {
  await admin.unsafe('create database parts');
  for (const db of ['parts_copy', 'parts_bad']) await admin.unsafe(`create database ${db}`);
  const src = connect(pg!.urlFor('parts'));
  await src.unsafe(`
    create table measurements (id int, at date not null, email text, primary key (id, at)) partition by range (at);
    create table m2024 partition of measurements for values from ('2024-01-01') to ('2025-01-01');
    create table m2025 partition of measurements for values from ('2025-01-01') to ('2026-01-01');
    create index measurements_email on measurements (email);
    insert into measurements select g, date '2024-06-01' + (g % 400), 'person' || g || '@mailhost.test' from generate_series(1, 2000) g;
    create table accounts (id int primary key, code text not null, notes text);
    create unique index accounts_code on accounts (code);
    insert into accounts select g, 'AC-' || g, '{"owner": "owner' || g || '@mailhost.test"}' from generate_series(1, 200000) g;
    create table refs (id int primary key, code text references accounts (code));
    insert into refs select g, 'AC-' || g from generate_series(1, 500) g;
    analyze;`);
  const rules = `version: 1
columns:
  - { table: measurements, column: email, rule: { rule: fake, kind: email } }
  - { table: accounts, column: code, rule: { rule: hash, length: 12 } }
  - { table: refs, column: code, rule: { rule: hash, length: 12 } }
  - { table: accounts, column: notes, rule: { rule: json, paths: { $.owner: { rule: fake, kind: email } } } }
`;
  await anonCopy({ mode: 'sync', source: pg!.urlFor('parts'), target: pg!.urlFor('parts_copy'), dictionary: parseDictionary(rules), key: KEY });
  const t = connect(pg!.urlFor('parts_copy'));
  const idx = (await t`select tablename from pg_indexes where indexdef like '%(email)%' order by 1`).map((r) => r.tablename);
  assert.deepEqual(idx, ['m2024', 'm2025', 'measurements'], 'the partitioned index is built on every partition');
  assert.equal((await t`select count(*)::int as n from measurements`)[0].n, 2000);
  assert.equal((await t`select count(*)::int as n from measurements where email like '%@mailhost.test'`)[0].n, 0);
  assert.equal((await t`select count(*)::int as n from refs r join accounts a using (code)`)[0].n, 500, 'the foreign key to a unique index holds after masking');
  assert.equal((await t`select count(*)::int as n from pg_constraint where contype = 'f'`)[0].n, 1);

  const refused = parseDictionary(`${rules.replace('rule: { rule: hash, length: 12 } }', 'rule: { rule: pseudonym } }')}  - { table: measurements, column: at, rule: { rule: noise, days: 10 } }
skip:
  - { table: audit_logs }
`);
  await assert.rejects(anonCopy({ mode: 'sync', source: pg!.urlFor('parts'), target: pg!.urlFor('parts_bad'), dictionary: refused, key: KEY }), (e: AnonError) => {
    assert.ok(e.problems.some((p) => /measurements\.at: a partition key/.test(p)), e.message);
    assert.ok(e.problems.some((p) => /\/skip\/0 \(audit_logs\): matches no table/.test(p)), e.message);
    assert.ok(e.problems.some((p) => /accounts\.code .*a pseudonym .* UNIQUE/.test(p)), e.message);
    return true;
  });

  // One value a rule cannot mask, at the end of a table of many chunks: the copy fails with the
  // reason, the table is not left half copied, the target says incomplete, and the process lives on.
  await src.unsafe(`update accounts set notes = 'not json' where id = 200000`);
  await assert.rejects(anonCopy({ mode: 'sync', source: pg!.urlFor('parts'), target: pg!.urlFor('parts_bad'), dictionary: parseDictionary(rules), key: KEY }), /not JSON/);
  const bad = connect(pg!.urlFor('parts_bad'));
  assert.equal((await bad`select status from pgfleet_anon.run`)[0].status, 'incomplete');
  assert.equal((await bad`select count(*)::int as n from accounts`)[0].n, 0);
  assert.equal((await bad`select count(*)::int as n from pgfleet_anon.step where name = 'table:public.accounts'`)[0].n, 0);
});
