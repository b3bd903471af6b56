// Anonymization pre-flight against a real database (issue 8, point 2): the columns' facts come from
// the catalog, and a rule that would overflow a varchar(15) or repeat values in a UNIQUE column is
// refused, with every problem listed, before anything is copied.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { parseDictionary, preflight, RuleBook, type ColumnInfo } from '../src/anon/index.ts';
import { readColumns } from '../src/anon-db/index.ts';
import { startTestPostgres, type TestPostgres } from './harness/index.ts';

let pg: TestPostgres | undefined;

/** Each column a dictionary gives a rule, with that rule. */
const rulesOf = (book: RuleBook, columns: ColumnInfo[]) => columns.flatMap((info) => {
  const r = book.ruleFor(info.schema, info.table, info.column);
  return r ? [{ info, rule: r.rule }] : [];
});
after(async () => { await pg?.destroy(); });

test('pre-flight on a real catalog: varchar(15) overflow and a UNIQUE-breaking fake, both found before any copy', async () => {
  pg = await startTestPostgres(16);
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      create table customers (id bigserial primary key, email varchar(15) not null, nickname varchar(40) unique, phone text, created date);
      insert into customers (email, nickname, phone, created) select 'u' || g || '@x.io', 'nick' || g, '+7 912 000 ' || g, date '2020-01-01' + g % 900 from generate_series(1, 5000) g;
      create table orders (id bigserial primary key, customer_id bigint references customers(id), note text);
      analyze customers;`);
    const columns = await readColumns(sql);
    const email = columns.find((c) => c.table === 'customers' && c.column === 'email')!;
    assert.deepEqual({ type: email.type, maxLength: email.maxLength, notNull: email.notNull, unique: email.unique }, { type: 'character varying', maxLength: 15, notNull: true, unique: false });
    const nick = columns.find((c) => c.column === 'nickname')!;
    assert.equal(nick.unique, true);
    assert.ok(nick.rows! >= 4000, `${nick.rows} rows estimated`);
    assert.equal(columns.find((c) => c.table === 'orders' && c.column === 'customer_id')!.foreignKey, true);
    assert.equal(columns.find((c) => c.table === 'orders' && c.column === 'note')!.rows, undefined, 'never analyzed: rows unknown, not zero');

    const book = new RuleBook(parseDictionary(`
version: 1
columns:
  - { table: customers, column: email, rule: { rule: fake, kind: email } }
  - { table: customers, column: nickname, rule: { rule: fake, kind: first_name } }
  - { table: customers, column: phone, rule: { rule: partial, keepLast: 2 } }
  - { table: customers, column: created, rule: { rule: noise, days: 30 } }
`));
    const ruled = rulesOf(book, columns);
    assert.equal(ruled.length, 4);
    const problems = preflight(ruled);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /public\.customers\.email \(character varying\(15\)\): fake email gives values up to \d+ characters, longer than the column's 15/);
    assert.match(problems[1], /public\.customers\.nickname \(character varying\(40\)\): fake first_name takes 140 values; \d+ rows of a UNIQUE column would repeat one/);
    // A dictionary that fits passes.
    const fixed = new RuleBook(parseDictionary(`
version: 1
columns:
  - { table: customers, column: email, rule: { rule: hash, length: 15 } }
  - { table: customers, column: nickname, rule: { rule: hash, length: 16 } }
`));
    assert.deepEqual(preflight(rulesOf(fixed, columns)), []);
  } finally {
    await sql.end();
  }
});
