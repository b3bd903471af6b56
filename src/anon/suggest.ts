// From what a scan saw in a column to a finding: its kind, the rule that masks it, how sure the scan
// is, and the evidence a reviewer reads. Pure: the scan feeds it names, catalog facts and samples.
import { FAKE_OF_KIND, type SensitiveKind } from './detect.ts';
import type { ColumnInfo } from './preflight.ts';
import { preflight } from './preflight.ts';
import type { Rule } from './rules.ts';

export type Confidence = 'high' | 'medium' | 'low';

export interface Finding {
  schema: string;
  table: string;
  column: string;
  kind: SensitiveKind | 'free_text' | 'json';
  rule: Rule;
  confidence: Confidence;
  evidence: string;
}

/** What the scan measured in one column. */
export interface ColumnSample {
  info: ColumnInfo;
  /** The kind the name suggests. */
  nameKind?: SensitiveKind;
  sampled: number;
  matches: Partial<Record<SensitiveKind, number>>;
  /** Values of free text holding an e-mail or a long number inside. */
  embedded: number;
  /** Share of sampled values with Cyrillic letters (Russian fakes for those). */
  cyrillic: number;
  /** For JSON: paths whose sampled values matched a kind, with counts. */
  jsonPaths?: { path: string; kind: SensitiveKind; matched: number; sampled: number }[];
}

/** Share of sampled values that must match a kind for the values alone to flag a column. */
const VALUE_SHARE = 0.5;
/** Share of free-text values with personal data inside for the text to be scrubbed. */
const TEXT_SHARE = 0.2;

const pct = (n: number, d: number): string => `${n}/${d} (${Math.round((100 * n) / Math.max(1, d))} %)`;

/** The rule for a kind in a column: the kind's fake where it fits the column, else shape-keeping or hashing. */
export function ruleForKind(kind: SensitiveKind, info: ColumnInfo, locale: 'en' | 'ru'): Rule {
  const candidates: Rule[] = [];
  // A date of birth keeps the year (ages, cohorts), not the day: generalised where the column is a date.
  if (kind === 'birth_date' && /^(date|timestamp)/.test(info.type)) candidates.push({ rule: 'generalize', to: 'year' });
  const fake = FAKE_OF_KIND[kind];
  if (fake) candidates.push(locale === 'ru' ? { rule: 'fake', kind: fake, locale } : { rule: 'fake', kind: fake });
  if (kind === 'secret') candidates.push({ rule: 'hash', length: Math.min(32, info.maxLength ?? 32) });
  candidates.push({ rule: 'pseudonym' }, { rule: 'hash', length: Math.max(4, Math.min(32, info.maxLength ?? 32)) });
  if (!info.notNull && !info.unique) candidates.push({ rule: 'null' });
  for (const r of candidates) if (preflight([{ info, rule: r }]).length === 0) return r;
  return candidates[candidates.length - 1];
}

/** The finding for one column, or none when nothing points at personal data. */
export function findingOf(s: ColumnSample): Finding | undefined {
  const { info } = s;
  const base = { schema: info.schema, table: info.table, column: info.column };
  const locale = s.cyrillic >= 0.5 ? 'ru' : 'en';
  if (s.jsonPaths?.length) {
    const paths: Record<string, Rule> = {};
    for (const p of s.jsonPaths) paths[p.path] = ruleForKind(p.kind, { ...info, type: 'text', maxLength: null, unique: false, notNull: false }, locale);
    return { ...base, kind: 'json', rule: { rule: 'json', paths }, confidence: 'high', evidence: s.jsonPaths.map((p) => `${p.path}: ${p.kind} in ${pct(p.matched, p.sampled)} sampled values`).join('; ') };
  }
  let best: SensitiveKind | undefined;
  for (const [k, n] of Object.entries(s.matches) as [SensitiveKind, number][]) if (!best || n > (s.matches[best] ?? 0)) best = k;
  const share = best ? (s.matches[best] ?? 0) / Math.max(1, s.sampled) : 0;
  const byValue = best !== undefined && share >= VALUE_SHARE ? best : undefined;
  const valueText = best ? `${best} in ${pct(s.matches[best] ?? 0, s.sampled)} sampled values` : `no sampled value matched a kind (${s.sampled} sampled)`;
  if (s.nameKind) {
    const agrees = byValue === s.nameKind || (byValue && ['person_name', 'first_name', 'last_name'].includes(byValue) && ['person_name', 'first_name', 'last_name'].includes(s.nameKind));
    const kind = s.nameKind;
    // A name with values that look like something else entirely (a "phone" column of e-mails): the values win.
    if (byValue && !agrees) return { ...base, kind: byValue, rule: ruleForKind(byValue, info, locale), confidence: 'medium', evidence: `the name says ${kind}; ${valueText}` };
    return {
      ...base, kind, rule: ruleForKind(kind, info, locale), confidence: agrees ? 'high' : 'medium',
      evidence: `the column's name says ${kind}; ${valueText}`,
    };
  }
  if (byValue) return { ...base, kind: byValue, rule: ruleForKind(byValue, info, locale), confidence: share >= 0.8 ? 'high' : 'medium', evidence: valueText };
  if (s.sampled > 0 && s.embedded / s.sampled >= TEXT_SHARE && /^(text|character varying|character)$/.test(info.type)) {
    return { ...base, kind: 'free_text', rule: { rule: 'scrub' }, confidence: s.embedded / s.sampled >= 0.5 ? 'high' : 'medium', evidence: `free text with an e-mail or a long number inside in ${pct(s.embedded, s.sampled)} sampled values` };
  }
  return undefined;
}
