import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { applyRule, FAKE_KINDS, fake, ibanFrom, ibanValid, innFrom, innValid, luhnDigit, luhnValid, pseudonym, RuleSchema, snilsFrom, snilsValid, type Rule } from './index.ts';

const KEY = 'a secret key of the copy';
const ctx = { key: KEY };

test('check digits: known valid numbers pass, one changed digit fails', () => {
  for (const card of ['4111111111111111', '5555555555554444', '378282246310005']) assert.ok(luhnValid(card), card);
  assert.equal(luhnValid('4111111111111112'), false);
  assert.equal(luhnDigit('411111111111111'), '1');
  for (const iban of ['GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000', 'FR1420041010050500013M02606']) assert.ok(ibanValid(iban), iban);
  assert.equal(ibanValid('GB82WEST12345698765433'), false);
  assert.equal(ibanFrom('DE', '370400440532013000'), 'DE89370400440532013000');
  // INN of organisations (10 digits) and people (12 digits), SNILS.
  for (const inn of ['7707083893', '500100732259']) assert.ok(innValid(inn), inn);
  assert.equal(innValid('7707083894'), false);
  assert.equal(innFrom('770708389'), '7707083893');
  assert.ok(snilsValid('112-233-445 95'));
  assert.equal(snilsValid('112-233-445 96'), false);
  assert.equal(snilsFrom('112233445'), '112-233-445 95');
});

test('fakes: the same input and key give the same value; another key another; numbers with check digits are valid', () => {
  for (const kind of FAKE_KINDS) {
    for (const locale of ['en', 'ru'] as const) {
      const a = fake(kind, 'Ivan Petrov', KEY, locale);
      assert.equal(fake(kind, 'Ivan Petrov', KEY, locale), a, `${kind}/${locale} is deterministic`);
      assert.ok(a.length > 0 && a.length <= 80, `${kind}/${locale}: ${a}`);
    }
  }
  const distinct = new Set(Array.from({ length: 200 }, (_, i) => fake('full_name', `person ${i}`, KEY)));
  assert.ok(distinct.size > 190, `${distinct.size} of 200 full names distinct`);
  assert.notEqual(fake('email', 'x@y.z', KEY), fake('email', 'x@y.z', 'another key'));
  for (let i = 0; i < 500; i++) {
    const v = `value ${i}`;
    assert.ok(luhnValid(fake('card_number', v, KEY)));
    assert.ok(ibanValid(fake('iban', v, KEY)) && ibanValid(fake('iban', v, KEY, 'ru')));
    assert.ok(innValid(fake('inn', v, KEY)) && innValid(fake('inn_person', v, KEY)));
    assert.ok(snilsValid(fake('snils', v, KEY)));
    assert.match(fake('email', v, KEY, 'ru'), /^[a-z.]+\.[a-z0-9]{8}@example\.(ru|com|org)$/, 'Russian names transliterated in addresses');
  }
  assert.match(fake('full_name', 'x', KEY, 'ru'), /^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+$/);
  assert.match(fake('phone', 'x', KEY, 'ru'), /^\+7 \(\d{3}\) \d{3}-\d{2}-\d{2}$/);
  const born = new Date(fake('birth_date', 'x', KEY)).getUTCFullYear();
  assert.ok(born >= 1945 && born <= 2008, `born ${born}`);
});

test('rules: partial and e-mail masks, pseudonyms keep the shape, noise stays within its bounds, generalization, JSON paths', () => {
  assert.equal(applyRule({ rule: 'partial', keepFirst: 2, keepLast: 2 }, '4111111111111111', ctx), '41************11');
  assert.equal(applyRule({ rule: 'partial', keepLast: 4, char: 'X' }, '123', ctx), 'XXX');
  assert.equal(applyRule({ rule: 'email_local' }, 'john.smith@corp.example', ctx), 'j*********@corp.example');
  const p = pseudonym('AB-1234-cd', KEY);
  assert.match(p, /^[A-Z]{2}-\d{4}-[a-z]{2}$/);
  assert.equal(pseudonym('AB-1234-cd', KEY), p);
  assert.notEqual(pseudonym('AB-1234-cd', 'other'), p);
  assert.equal(applyRule({ rule: 'hash', length: 12 }, 'secret', ctx), applyRule({ rule: 'hash', length: 12 }, 'secret', ctx));
  assert.equal(applyRule({ rule: 'null' }, 'x', ctx), null);
  assert.equal(applyRule({ rule: 'fake', kind: 'email' }, null, ctx), null, 'null stays null');
  assert.equal(applyRule({ rule: 'constant', value: 'n/a' }, null, ctx), 'n/a');
  for (let i = 1; i <= 300; i++) {
    const n = applyRule({ rule: 'noise', percent: 10 }, 1000 + i, ctx) as number;
    assert.ok(Number.isInteger(n) && Math.abs(n - (1000 + i)) <= (1000 + i) * 0.1 + 1, `${1000 + i} → ${n}`);
    const d = applyRule({ rule: 'noise', days: 30 }, '2020-06-15', { key: `${KEY}${i}` }) as string;
    assert.match(d, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(Math.abs(Date.parse(d) - Date.parse('2020-06-15')) <= 30 * 86_400_000);
  }
  assert.equal(applyRule({ rule: 'noise', percent: 5 }, '12.50', ctx), applyRule({ rule: 'noise', percent: 5 }, '12.50', ctx), 'the same value moves the same way');
  assert.equal(applyRule({ rule: 'generalize', step: 10 }, 37, ctx), 30);
  assert.equal(applyRule({ rule: 'generalize', to: 'year' }, '1984-07-21', ctx), '1984-01-01');
  assert.deepEqual(applyRule({ rule: 'generalize', to: 'month' }, new Date('1984-07-21T10:00:00Z'), ctx), new Date('1984-07-01T00:00:00Z'));

  const doc = { customer: { name: 'Ivan', email: 'ivan@example.ru' }, items: [{ card: '4111111111111111' }, { card: '5555555555554444' }], note: 'keep me' };
  const json: Rule = { rule: 'json', paths: { '$.customer.name': { rule: 'fake', kind: 'first_name', locale: 'ru' }, '$.customer.email': { rule: 'email_local' }, '$.items[*].card': { rule: 'partial', keepLast: 4 }, '$.missing.path': { rule: 'null' } } };
  const masked = applyRule(json, JSON.stringify(doc), ctx) as string;
  const m = JSON.parse(masked);
  assert.match(m.customer.name, /^[А-ЯЁ][а-яё]+$/);
  assert.equal(m.customer.email, 'i***@example.ru');
  assert.deepEqual(m.items.map((x: { card: string }) => x.card), ['************1111', '************4444']);
  assert.equal(m.note, 'keep me');
  assert.ok(!masked.includes('4111111111111111') && !masked.includes('Ivan'));
  assert.deepEqual((applyRule(json, doc, ctx) as typeof doc).note, 'keep me', 'parsed jsonb too, the input untouched');
  assert.equal(doc.customer.name, 'Ivan');
});

test('rules are a schema: a dictionary entry that is not one is refused with its path', () => {
  const check = TypeCompiler.Compile(RuleSchema);
  assert.ok(check.Check({ rule: 'fake', kind: 'iban', locale: 'ru' }));
  assert.ok(check.Check({ rule: 'json', paths: { '$.a[*].b': { rule: 'hash' } } }));
  assert.equal(check.Check({ rule: 'fake', kind: 'passport' }), false);
  assert.equal(check.Check({ rule: 'json', paths: { 'a.b': { rule: 'hash' } } }), false, 'a path starts at $');
  assert.equal(check.Check({ rule: 'partial', keepFirst: -1 }), false);
});

test('detection: names that say what a column holds, values with the shape and check digits of a kind', async () => {
  const { kindFromName, kindOfValue, sampleKinds } = await import('./index.ts');
  assert.equal(kindFromName('customer_email'), 'email');
  assert.equal(kindFromName('fio'), 'person_name');
  assert.equal(kindFromName('phone_number'), 'phone');
  assert.equal(kindFromName('date_of_birth'), 'birth_date');
  assert.equal(kindFromName('order_total'), undefined);
  assert.equal(kindFromName('email_sent_at'), 'email', 'a false friend a person reviews');
  assert.equal(kindOfValue('ivan.petrov@example.ru'), 'email');
  assert.equal(kindOfValue('4111 1111 1111 1111'), 'card_number');
  assert.equal(kindOfValue('4111 1111 1111 1112'), undefined, 'not Luhn-valid: not a card');
  assert.equal(kindOfValue('DE89 3704 0044 0532 0130 00'), 'iban');
  assert.equal(kindOfValue('7707083893'), 'inn');
  assert.equal(kindOfValue('112-233-445 95'), 'snils');
  assert.equal(kindOfValue('+7 (912) 345-67-89'), 'phone');
  assert.equal(kindOfValue('2026-11-24'), undefined);
  assert.equal(kindOfValue('order #12345'), undefined);
  const s = sampleKinds(['a@b.cc', 'c@d.ee', null, 'no', '4111111111111111']);
  assert.deepEqual(s, { sampled: 4, matches: { email: 2, card_number: 1 }, embedded: 0 });
});
