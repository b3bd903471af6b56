// Fake values of a kind, deterministic under the key: the same input always gives the same fake, in
// every table and every run. Numbers that carry check digits get valid ones.
import { ibanFrom, innFrom, luhnDigit, snilsFrom } from './checksums.ts';
import { DICTIONARIES, LOCALES, transliterate, type Locale } from './dictionaries.ts';
import { streamFor, type KeyedStream } from './keyed.ts';

export const FAKE_KINDS = ['first_name', 'last_name', 'full_name', 'email', 'phone', 'address', 'city', 'company', 'iban', 'card_number', 'inn', 'inn_person', 'snils', 'birth_date'] as const;
export type FakeKind = (typeof FAKE_KINDS)[number];

const DAY = 86_400_000;

function person(r: KeyedStream, locale: Locale): { first: string; last: string } {
  const d = DICTIONARIES[locale];
  const female = r.below(2) === 1;
  const i = r.below(d.lastMale.length);
  return { first: r.pick(female ? d.firstFemale : d.firstMale), last: (female ? d.lastFemale : d.lastMale)[i] };
}

/** The keyed stream's domain of each kind and locale, built once. */
const DOMAINS = Object.fromEntries(LOCALES.map((l) => [l, Object.fromEntries(FAKE_KINDS.map((k) => [k, `fake:${k}:${l}`]))])) as Record<Locale, Record<FakeKind, string>>;

/** A fake of `kind` for `input` (the original value: it only seeds the choice). */
export function fake(kind: FakeKind, input: string, key: Buffer | string, locale: Locale = 'en'): string {
  const r = streamFor(key, DOMAINS[locale][kind], input);
  const d = DICTIONARIES[locale];
  switch (kind) {
    case 'first_name': return person(r, locale).first;
    case 'last_name': return person(r, locale).last;
    case 'full_name': {
      const p = person(r, locale);
      return locale === 'ru' ? `${p.last} ${p.first}` : `${p.first} ${p.last}`;
    }
    case 'email': {
      const p = person(r, locale);
      // A keyed tag keeps pseudonymous addresses apart (UNIQUE columns): 36^8 per name, so tens of
      // millions of rows before a repeat becomes likely (the birthday bound).
      let tag = '';
      for (let i = 0; i < 8; i++) tag += '0123456789abcdefghijklmnopqrstuvwxyz'[r.below(36)];
      return `${transliterate(p.first)}.${transliterate(p.last)}.${tag}@${r.pick(d.emailDomains)}`.toLowerCase();
    }
    case 'phone': {
      const first = String(2 + r.below(8));
      return d.phone.format(first + r.digits(d.phone.digits - 1));
    }
    case 'address': return locale === 'ru' ? `г. ${r.pick(d.cities)}, ${r.pick(d.streets)}, д. ${1 + r.below(150)}, кв. ${1 + r.below(300)}` : `${1 + r.below(9999)} ${r.pick(d.streets)}, ${r.pick(d.cities)}`;
    case 'city': return r.pick(d.cities);
    case 'company': {
      const name = r.pick(d.companies);
      const form = r.pick(d.companyForms);
      return locale === 'ru' ? `${form} «${name}»` : `${name} ${form}`;
    }
    case 'iban': return locale === 'ru' ? ibanFrom('DE', `${r.digits(8)}${r.digits(10)}`) : ibanFrom('GB', `${'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[r.below(26)]}${'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[r.below(26)]}BK${r.digits(6)}${r.digits(8)}`);
    case 'card_number': {
      // Test-range prefixes (4000…, 5100…), never a real issuer's live range.
      const body = `${r.below(2) ? '4000' : '5100'}${r.digits(11)}`;
      return body + luhnDigit(body);
    }
    case 'inn': return innFrom(`${String(1 + r.below(9))}${r.digits(8)}`);
    case 'inn_person': return innFrom(`${String(1 + r.below(9))}${r.digits(9)}`);
    case 'snils': return snilsFrom(`${String(1 + r.below(9))}${r.digits(8)}`);
    case 'birth_date': {
      // 18 to 80 years before 2026-01-01: adults, not a real birthday.
      const t = Date.UTC(2026, 0, 1) - (18 * 365 + r.below(62 * 365)) * DAY;
      return new Date(t).toISOString().slice(0, 10);
    }
  }
}
