import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DictionaryError, FAKE_KINDS, fake, maxFakeLength, parseDictionary, preflight, RuleBook, type ColumnInfo } from './index.ts';

const YAML = `
version: 1
columns:
  - { table: customers, column: email, rule: { rule: fake, kind: email } }
  - { schema: public, table: "cust*", column: "/(first|last)_name/", rule: { rule: fake, kind: first_name, locale: ru } }
  - { column: "*phone*", rule: { rule: partial, keepLast: 2 } }
  - { table: payments, column: details, rule: { rule: json, paths: { "$.card": { rule: partial, keepLast: 4 } } } }
skip:
  - { table: audit_log }
subset:
  - { table: orders, where: "created_at > now() - interval '30 days'" }
`;

test('a dictionary: the first entry that matches a column decides; names, globs and regular expressions', () => {
  const book = new RuleBook(parseDictionary(YAML));
  assert.deepEqual(book.ruleFor('public', 'customers', 'email'), { rule: { rule: 'fake', kind: 'email' }, entry: 0 });
  assert.equal(book.ruleFor('public', 'customers', 'first_name')?.entry, 1);
  assert.equal(book.ruleFor('public', 'customers_archive', 'last_name')?.entry, 1);
  assert.equal(book.ruleFor('sales', 'customers', 'last_name'), undefined, 'another schema');
  assert.equal(book.ruleFor('public', 'customers', 'middle_name'), undefined, 'the regular expression matches whole names');
  assert.equal(book.ruleFor('crm', 'contacts', 'mobile_phone_2')?.entry, 2);
  assert.equal(book.ruleFor('public', 'orders', 'total'), undefined, 'kept');
  assert.equal(book.isSkipped('public', 'audit_log'), true);
  assert.equal(book.subsetOf('public', 'orders'), "created_at > now() - interval '30 days'");
});

test('a bad dictionary is refused with every problem and its path', () => {
  const bad = `
version: 1
columns:
  - { column: email, rule: { rule: fake, kind: passport } }
  - { column: "/(unclosed/", rule: { rule: hash } }
  - { column: x, rule: { rule: partial, keepFirst: -2 } }
  - { colum: typo, rule: { rule: keep } }
`;
  assert.throws(() => parseDictionary(bad), (err: unknown) => {
    assert.ok(err instanceof DictionaryError);
    const text = err.problems.join('\n');
    assert.match(text, /\/columns\/0\/rule/);
    assert.match(text, /\/columns\/2\/rule/);
    assert.match(text, /\/columns\/3/);
    return true;
  });
  assert.throws(() => parseDictionary('version: 1\ncolumns:\n  - { column: "/(unclosed/", rule: { rule: hash } }\n'), /columns\/0\/column: not a regular expression/);
  assert.throws(() => parseDictionary('version: [1'), /not YAML/);
});

test('the longest fake is known exactly: no generated value is longer', () => {
  for (const kind of FAKE_KINDS) for (const locale of ['en', 'ru'] as const) {
    const max = maxFakeLength(kind, locale);
    for (let i = 0; i < 2000; i++) {
      const v = fake(kind, `input ${i}`, 'key', locale);
      assert.ok([...v].length <= max, `${kind}/${locale}: "${v}" is ${[...v].length} > ${max}`);
    }
  }
});

test('pre-flight: an overflow of varchar(15), a fake that repeats in a UNIQUE column, NULL in NOT NULL, type mismatches — all listed before any copy', () => {
  const col = (c: Partial<ColumnInfo> & Pick<ColumnInfo, 'column' | 'type'>): ColumnInfo => ({ schema: 'public', table: 'customers', notNull: false, unique: false, rows: 100_000, ...c });
  const problems = preflight([
    { info: col({ column: 'email', type: 'character varying', maxLength: 15 }), rule: { rule: 'fake', kind: 'email' } },
    { info: col({ column: 'nickname', type: 'character varying', maxLength: 40, unique: true }), rule: { rule: 'fake', kind: 'first_name' } },
    { info: col({ column: 'middle_name', type: 'text', notNull: true }), rule: { rule: 'null' } },
    { info: col({ column: 'age', type: 'text' }), rule: { rule: 'noise', percent: 5 } },
    { info: col({ column: 'account', type: 'character varying', maxLength: 20, unique: true }), rule: { rule: 'pseudonym' } },
    { info: col({ column: 'token', type: 'character varying', maxLength: 16 }), rule: { rule: 'hash' } },
    { info: col({ column: 'login', type: 'character varying', maxLength: 120, unique: true }), rule: { rule: 'fake', kind: 'email' } },
  ]);
  assert.equal(problems.length, 6, problems.join('\n'));
  assert.match(problems[0], /customers\.email \(character varying\(15\)\): fake email gives values up to \d+ characters, longer than the column's 15/);
  assert.match(problems[1], /nickname.*fake first_name takes 140 values; 100000 rows of a UNIQUE column would repeat one/);
  assert.match(problems[2], /middle_name.*rule null, but the column is NOT NULL/);
  assert.match(problems[3], /age \(text\): noise works on numbers and dates, not text/);
  assert.match(problems[4], /account.*a pseudonym keeps the shape and can make two short values equal, but the column is UNIQUE/);
  assert.match(problems[5], /token.*hash gives values up to 32 characters, longer than the column's 16/);
  assert.deepEqual(preflight([{ info: col({ column: 'email', type: 'text', unique: true }), rule: { rule: 'fake', kind: 'email' } }]), [], 'e-mail fakes carry a keyed tag: unique enough');
});
