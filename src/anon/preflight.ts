// Pre-flight: every rule checked against its target column before a row is copied, every problem
// listed at once. A value longer than its column, a NULL in a NOT NULL column, a fake that repeats
// in a UNIQUE column: found here, not after an hour of copying.
import { DICTIONARIES, transliterate, type Locale } from './dictionaries.ts';
import type { FakeKind } from './fakes.ts';
import type { Rule } from './rules.ts';

/** What pre-flight knows of a target column (from the catalog). */
export interface ColumnInfo {
  schema: string;
  table: string;
  column: string;
  /** PostgreSQL's type name: text, character varying, integer, date, jsonb, … */
  type: string;
  /** varchar(n) / char(n): n. */
  maxLength?: number | null;
  notNull: boolean;
  /** Part of a UNIQUE constraint or index (alone or with others). */
  unique: boolean;
  /** Referenced by, or referencing, a foreign key. */
  foreignKey?: boolean;
  /** Rows in the table (estimate), for collision odds. */
  rows?: number;
}

const longest = (list: readonly string[]): number => Math.max(...list.map((s) => [...s].length));

/** The longest value a fake of this kind can be, from the dictionaries (exact, not sampled). */
export function maxFakeLength(kind: FakeKind, locale: Locale = 'en'): number {
  const d = DICTIONARIES[locale];
  const first = longest([...d.firstMale, ...d.firstFemale]);
  const last = longest([...d.lastMale, ...d.lastFemale]);
  switch (kind) {
    case 'first_name': return first;
    case 'last_name': return last;
    case 'full_name': return first + 1 + last;
    case 'email': return longest([...d.firstMale, ...d.firstFemale].map(transliterate)) + 1 + longest([...d.lastMale, ...d.lastFemale].map(transliterate)) + 10 + longest(d.emailDomains);
    case 'phone': return d.phone.format('0'.repeat(d.phone.digits)).length;
    case 'address': return locale === 'ru' ? 3 + longest(d.cities) + 2 + longest(d.streets) + 8 + 3 + 6 + 3 : 4 + 1 + longest(d.streets) + 2 + longest(d.cities);
    case 'city': return longest(d.cities);
    case 'company': return longest(d.companies) + longest(d.companyForms) + 3;
    case 'iban': return 22;
    case 'card_number': return 16;
    case 'inn': return 10;
    case 'inn_person': return 12;
    case 'snils': return 14;
    case 'birth_date': return 10;
  }
}

/** How many distinct values a fake of this kind can take (for UNIQUE columns). */
export function fakeRange(kind: FakeKind, locale: Locale = 'en'): number {
  const d = DICTIONARIES[locale];
  const firsts = d.firstMale.length + d.firstFemale.length;
  switch (kind) {
    case 'first_name': return firsts;
    case 'last_name': return d.lastMale.length * 2;
    case 'full_name': return firsts * d.lastMale.length;
    case 'city': return d.cities.length;
    case 'company': return d.companies.length * d.companyForms.length;
    case 'birth_date': return 62 * 365;
    case 'email': return firsts * d.lastMale.length * 36 ** 8;
    case 'phone': return 8e9;
    case 'address': return d.streets.length * d.cities.length * 9999;
    default: return 1e9;
  }
}

/** The longest output of a rule for a value of at most `inputLength` characters, when bounded. */
function maxOutputLength(rule: Rule, inputLength: number | undefined): number | undefined {
  switch (rule.rule) {
    case 'hash': return rule.length ?? 32;
    case 'fake': return maxFakeLength(rule.kind, rule.locale);
    case 'constant': return typeof rule.value === 'string' ? [...rule.value].length : undefined;
    case 'pseudonym': case 'partial': case 'email_local': return inputLength;
    default: return undefined;
  }
}

const TEXTUAL = /^(text|character varying|varchar|character|char|bpchar|citext|name)$/;
const NUMERIC = /^(smallint|integer|bigint|numeric|decimal|real|double precision|int2|int4|int8|float4|float8)$/;
const DATES = /^(date|timestamp|timestamp without time zone|timestamp with time zone|timestamptz)$/;

/** Every problem of the rules against their columns; empty when the copy can start. */
export function preflight(columns: { info: ColumnInfo; rule: Rule }[]): string[] {
  const problems: string[] = [];
  for (const { info: c, rule } of columns) {
    const where = `${c.schema}.${c.table}.${c.column} (${c.type}${c.maxLength ? `(${c.maxLength})` : ''})`;
    if (rule.rule === 'keep') continue;
    if (rule.rule === 'null' && c.notNull) problems.push(`${where}: rule null, but the column is NOT NULL`);
    if (rule.rule === 'constant' && rule.value === null && c.notNull) problems.push(`${where}: constant NULL, but the column is NOT NULL`);
    if (rule.rule === 'constant' && c.unique && (c.rows ?? 2) > 1) problems.push(`${where}: one constant for every row, but the column is UNIQUE`);
    if ((rule.rule === 'noise' || rule.rule === 'generalize') && !NUMERIC.test(c.type) && !DATES.test(c.type)) problems.push(`${where}: ${rule.rule} works on numbers and dates, not ${c.type}`);
    if ((rule.rule === 'noise' || rule.rule === 'generalize') && c.unique) problems.push(`${where}: ${rule.rule} can make two values equal, but the column is UNIQUE`);
    if (rule.rule === 'json' && !/^(json|jsonb|text)$/.test(c.type)) problems.push(`${where}: json rules need a json, jsonb or text column`);
    if (['fake', 'hash', 'pseudonym', 'partial', 'email_local', 'scrub'].includes(rule.rule) && !TEXTUAL.test(c.type) && !(rule.rule === 'fake' && rule.kind === 'birth_date' && DATES.test(c.type))) {
      problems.push(`${where}: ${rule.rule}${rule.rule === 'fake' ? ` ${rule.kind}` : ''} gives text, not ${c.type}`);
    }
    const max = maxOutputLength(rule, c.maxLength ?? undefined);
    if (c.maxLength && max !== undefined && max > c.maxLength) {
      problems.push(`${where}: ${rule.rule}${rule.rule === 'fake' ? ` ${rule.kind}${rule.locale ? ` (${rule.locale})` : ''}` : ''} gives values up to ${max} characters, longer than the column's ${c.maxLength}`);
    }
    if (c.unique && rule.rule === 'fake') {
      const range = fakeRange(rule.kind, rule.locale);
      // Birthday bound: with n rows drawn from `range` values, a repeat is likely past sqrt(range).
      if ((c.rows ?? Infinity) > Math.sqrt(range) / 4) problems.push(`${where}: fake ${rule.kind} takes ${range} values; ${c.rows ?? 'the'} rows of a UNIQUE column would repeat one (use hash, or fake email for addresses)`);
    }
    // A pseudonym keeps the value's shape, so short codes (AC-95394) have few of them: two values
    // can meet. A hash (or a fake e-mail, with its keyed tag) keeps a UNIQUE column unique.
    if (c.unique && rule.rule === 'pseudonym') problems.push(`${where}: a pseudonym keeps the shape and can make two short values equal, but the column is UNIQUE (use hash)`);
    if (c.unique && (rule.rule === 'partial' || rule.rule === 'email_local' || rule.rule === 'scrub')) problems.push(`${where}: a partial mask makes values equal, but the column is UNIQUE`);
  }
  return problems;
}
