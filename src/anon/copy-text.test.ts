import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCopyField, encodeCopyField, lineMasker, maskCopyChunks, masksAnything } from './copy-text.ts';
import { scrub } from './rules.ts';

const KEY = 'k'.repeat(32);

test('COPY text fields: NULL, escapes and octal/hex forms decode; encoding escapes what COPY needs', () => {
  assert.equal(decodeCopyField('\\N'), null);
  assert.equal(decodeCopyField('a\\tb\\nc\\\\d\\r'), 'a\tb\nc\\d\r');
  assert.equal(decodeCopyField('\\101\\x42'), 'AB');
  for (const v of ['plain', 'tab\there', 'line\nbreak', 'back\\slash', 'cr\r', 'ünïcødé, кириллица']) assert.equal(decodeCopyField(encodeCopyField(v)), v);
  assert.equal(encodeCopyField(null), '\\N');
  assert.equal(encodeCopyField(42), '42');
});

test('a line masker masks only its columns, keeps NULLs, and is deterministic', () => {
  const mask = lineMasker([undefined, { rule: 'fake', kind: 'email' }, { rule: 'hash', length: 8 }], { key: KEY });
  const a = mask('1\tjohn@example.com\tsecret');
  const [id, email, h] = a.split('\t');
  assert.equal(id, '1');
  assert.match(email, /@/);
  assert.notEqual(email, 'john@example.com');
  assert.match(h, /^[0-9a-f]{8}$/);
  assert.equal(mask('1\tjohn@example.com\tsecret'), a);
  assert.equal(mask('2\t\\N\t\\N'), '2\t\\N\t\\N');
  // A masked value with a tab or newline is escaped, so the line stays one row.
  const c = lineMasker([{ rule: 'constant', value: 'a\tb\nc' }], { key: KEY });
  assert.equal(c('x'), 'a\\tb\\nc');
  assert.equal(masksAnything([undefined, { rule: 'keep' }]), false);
});

test('chunks cut anywhere, even inside a UTF-8 character or a line, give the same masked lines', async () => {
  const rows = Array.from({ length: 200 }, (_, i) => `${i}\tПётр Иванов ${i}\tx`);
  const text = Buffer.from(`${rows.join('\n')}\n`);
  const mask = lineMasker([undefined, { rule: 'pseudonym' }, undefined], { key: KEY });
  const expected = rows.map(mask).join('\n') + '\n';
  for (const size of [1, 3, 7, 64, 4096]) {
    const chunks = (async function* () { for (let i = 0; i < text.length; i += size) yield text.subarray(i, i + size); })();
    let out = '';
    let n = 0;
    for await (const c of maskCopyChunks(chunks, mask, (k) => { n += k; })) out += c;
    assert.equal(out, expected, `chunks of ${size} bytes`);
    assert.equal(n, 200);
  }
});

test('scrub replaces e-mails, numbers and capitalised words shape for shape, keeps the rest and the length', () => {
  const s = 'Call Aurelio Quint at +44 20 7946 1001 or aurelio.quint@mailhost.test, кроме Евлампия.';
  const out = scrub(s, KEY);
  assert.equal(out.length, s.length);
  for (const secret of ['Aurelio', 'Quint', '7946', '1001', 'mailhost', 'Евлампия']) assert.ok(!out.includes(secret), `${secret} in ${out}`);
  assert.match(out, / at \+\d\d \d\d \d{4} \d{4} or /);
  assert.match(out, /кроме/);
  assert.equal(scrub(s, KEY), out);
  assert.notEqual(scrub(s, 'another-key-of-some-length'), out);
});
