import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameKindOfValue, sampleKinds, textHoldsPersonalData } from './detect.ts';
import { findingOf, ruleForKind } from './suggest.ts';
import type { ColumnInfo } from './preflight.ts';

const col = (over: Partial<ColumnInfo> = {}): ColumnInfo => ({ schema: 'public', table: 't', column: 'c', type: 'text', notNull: false, unique: false, ...over });

test('names are read from the built-in dictionaries, in English and Russian', () => {
  assert.equal(nameKindOfValue('James'), 'first_name');
  assert.equal(nameKindOfValue('Smith'), 'last_name');
  assert.equal(nameKindOfValue('Mary Johnson'), 'person_name');
  assert.equal(nameKindOfValue('Иванов Иван'), 'person_name');
  assert.equal(nameKindOfValue('Иванов Зюзя'), undefined, 'one known word of two is not enough');
  assert.equal(nameKindOfValue('Смирнов'), 'last_name');
  assert.equal(nameKindOfValue('New York'), undefined);
  assert.equal(nameKindOfValue('oak table'), undefined);
});

test('free text with an e-mail or a long number inside is told apart from text without', () => {
  assert.equal(textHoldsPersonalData('write to a.b@c.example please'), true);
  assert.equal(textHoldsPersonalData('call +7 912 345-67-89 after six'), true);
  assert.equal(textHoldsPersonalData('leave at the door, floor 3'), false);
  assert.equal(sampleKinds(['call +7 912 345-67-89', 'nothing', 'x@y.example is mine']).embedded, 2);
});

test('a finding: the name and the values agreeing is high confidence; values alone decide a neutral name', () => {
  const f = findingOf({ info: col({ column: 'email' }), nameKind: 'email', sampled: 10, matches: { email: 10 }, embedded: 0, cyrillic: 0 })!;
  assert.deepEqual([f.kind, f.confidence, f.rule], ['email', 'high', { rule: 'fake', kind: 'email' }]);
  const g = findingOf({ info: col({ column: 'ref' }), sampled: 10, matches: { card_number: 9 }, embedded: 0, cyrillic: 0 })!;
  assert.deepEqual([g.kind, g.confidence], ['card_number', 'high']);
  assert.match(g.evidence, /card_number in 9\/10 \(90 %\)/);
  assert.equal(findingOf({ info: col({ column: 'ref' }), sampled: 10, matches: { phone: 2 }, embedded: 0, cyrillic: 0 }), undefined, 'two in ten is not enough');
  const ru = findingOf({ info: col({ column: 'fio' }), nameKind: 'person_name', sampled: 10, matches: {}, embedded: 0, cyrillic: 0.9 })!;
  assert.deepEqual(ru.rule, { rule: 'fake', kind: 'full_name', locale: 'ru' });
  const text = findingOf({ info: col({ column: 'note' }), sampled: 10, matches: {}, embedded: 4, cyrillic: 0 })!;
  assert.deepEqual([text.kind, text.rule], ['free_text', { rule: 'scrub' }]);
});

test('the rule fits the column: a fake too long for varchar(n) gives way to a same-length pseudonym; a date of birth keeps its year', () => {
  assert.deepEqual(ruleForKind('email', col({ type: 'character varying', maxLength: 20 }), 'en'), { rule: 'pseudonym' });
  assert.deepEqual(ruleForKind('email', col({ type: 'character varying', maxLength: 200 }), 'en'), { rule: 'fake', kind: 'email' });
  assert.deepEqual(ruleForKind('birth_date', col({ type: 'date' }), 'en'), { rule: 'generalize', to: 'year' });
  assert.deepEqual(ruleForKind('secret', col(), 'en'), { rule: 'hash', length: 32 });
  assert.deepEqual(ruleForKind('address', col({ type: 'integer' }), 'en'), { rule: 'null' });
});
