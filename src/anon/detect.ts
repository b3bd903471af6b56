// What the scan looks for: column names that say what they hold, and sampled values that have the
// shape (and, where the format has one, the check digits) of a sensitive kind.
import { ibanValid, innValid, luhnValid, snilsValid } from './checksums.ts';
import { DICTIONARIES, LOCALES } from './dictionaries.ts';
import type { FakeKind } from './fakes.ts';

/** A kind of sensitive data and the rule a finding of it suggests. */
export const SENSITIVE_KINDS = ['email', 'phone', 'card_number', 'iban', 'inn', 'snils', 'person_name', 'first_name', 'last_name', 'address', 'birth_date', 'passport', 'ip_address', 'secret'] as const;
export type SensitiveKind = (typeof SENSITIVE_KINDS)[number];

/** Column-name patterns (English and Russian transliterations), most specific first. */
const NAME_PATTERNS: [RegExp, SensitiveKind][] = [
  [/(^|_)(e_?mail|email_address|mail)($|_)/i, 'email'],
  [/(^|_)(phone|mobile|tel|telephone|msisdn|telefon)($|_)/i, 'phone'],
  [/(^|_)(card|pan|card_number|cc_number|credit_card)($|_)/i, 'card_number'],
  [/(^|_)iban($|_)/i, 'iban'],
  [/(^|_)inn($|_)/i, 'inn'],
  [/(^|_)snils($|_)/i, 'snils'],
  [/(^|_)(first_?name|given_?name|imya|name_first)($|_)/i, 'first_name'],
  [/(^|_)(last_?name|surname|family_?name|familiya|name_last)($|_)/i, 'last_name'],
  [/(^|_)(full_?name|fio|customer_name|person_name|contact_name)($|_)/i, 'person_name'],
  [/(^|_)(address|street|addr|adres|zip|postcode|postal_code)($|_)/i, 'address'],
  [/(^|_)(birth_?date|date_of_birth|dob|birthday|data_rozhdeniya)($|_)/i, 'birth_date'],
  [/(^|_)(passport|pasport|ssn|national_id|tax_id)($|_)/i, 'passport'],
  [/(^|_)(ip|ip_addr|ip_address|client_ip)($|_)/i, 'ip_address'],
  [/(^|_)(password|passwd|secret|token|api_key)($|_)/i, 'secret'],
];

/** The kind a column's name suggests, if any. */
export function kindFromName(column: string): SensitiveKind | undefined {
  for (const [re, kind] of NAME_PATTERNS) if (re.test(column)) return kind;
  return undefined;
}

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const PHONE = /^\+?[\d\s()-]{10,18}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** The kind one sampled value has (shape and check digits), if any. */
export function kindOfValue(v: string): SensitiveKind | undefined {
  const s = v.trim();
  if (s.length < 5 || s.length > 200) return undefined;
  if (EMAIL.test(s)) return 'email';
  const digits = s.replace(/[\s-]/g, '');
  if (/^\d{13,19}$/.test(digits) && luhnValid(digits)) return 'card_number';
  if (/^[A-Za-z]{2}\d{2}/.test(digits) && ibanValid(digits)) return 'iban';
  if (/^\d{3}-\d{3}-\d{3} \d{2}$|^\d{11}$/.test(s) && snilsValid(s)) return 'snils';
  if (/^\d{10}$|^\d{12}$/.test(s) && innValid(s)) return 'inn';
  if (IPV4.test(s)) return 'ip_address';
  if (PHONE.test(s) && (s.match(/\d/g) ?? []).length >= 10) return 'phone';
  return undefined;
}

const FIRST = new Set(LOCALES.flatMap((l) => [...DICTIONARIES[l].firstMale, ...DICTIONARIES[l].firstFemale]));
const LAST = new Set(LOCALES.flatMap((l) => [...DICTIONARIES[l].lastMale, ...DICTIONARIES[l].lastFemale]));
const WORD = /^\p{Lu}[\p{Ll}'-]+$/u;

/**
 * Whether a value reads as a person's name: one to three capitalised words, each a first name or
 * surname of the built-in dictionaries (English and Russian), or one of them and an initial.
 */
export function nameKindOfValue(v: string): 'first_name' | 'last_name' | 'person_name' | undefined {
  const words = v.trim().split(/\s+/);
  if (words.length === 0 || words.length > 3 || !words.every((w) => WORD.test(w) || /^\p{Lu}\.$/u.test(w))) return undefined;
  const known = words.filter((w) => FIRST.has(w) || LAST.has(w));
  if (words.length === 1) return FIRST.has(words[0]) ? 'first_name' : LAST.has(words[0]) ? 'last_name' : undefined;
  return known.length >= Math.min(2, words.filter((w) => w.length > 2).length) && known.length > 0 ? 'person_name' : undefined;
}

const EMBEDDED_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const EMBEDDED_NUMBER = /(?:\+?\d[\d\s()-]{8,}\d)/g;

/** Whether free text holds an e-mail address, a phone, card or account number inside it. */
export function textHoldsPersonalData(v: string): boolean {
  if (EMBEDDED_EMAIL.test(v)) return true;
  for (const m of v.matchAll(EMBEDDED_NUMBER)) if (kindOfValue(m[0]) !== undefined || m[0].replace(/\D/g, '').length >= 10) return true;
  return false;
}

/** How many sampled values matched each kind. */
export function sampleKinds(values: Iterable<string | null>): { sampled: number; matches: Partial<Record<SensitiveKind, number>>; embedded: number } {
  let sampled = 0;
  let embedded = 0;
  const matches: Partial<Record<SensitiveKind, number>> = {};
  for (const v of values) {
    if (v === null) continue;
    sampled++;
    if (textHoldsPersonalData(v) && kindOfValue(v) === undefined) embedded++;
    const k = kindOfValue(v) ?? nameKindOfValue(v);
    if (k) matches[k] = (matches[k] ?? 0) + 1;
  }
  return { sampled, matches, embedded };
}

/** The fake a kind is masked with by default (kinds without one are hashed or nulled by the rule chooser). */
export const FAKE_OF_KIND: Partial<Record<SensitiveKind, FakeKind>> = {
  email: 'email', phone: 'phone', card_number: 'card_number', iban: 'iban', inn: 'inn', snils: 'snils',
  person_name: 'full_name', first_name: 'first_name', last_name: 'last_name', address: 'address', birth_date: 'birth_date',
};
