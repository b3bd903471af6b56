// Data anonymization (pg_anon): masking rules, fakes and check digits. Pure: no I/O.
export * from './checksums.ts';
export * from './dictionaries.ts';
export * from './fakes.ts';
export { KeyedStream, keyedHash, streamFor } from './keyed.ts';
export { applyRule, MaskError, partial, pseudonym, RuleSchema, type MaskContext, type Rule } from './rules.ts';
export { FAKE_OF_KIND, kindFromName, kindOfValue, sampleKinds, SENSITIVE_KINDS, type SensitiveKind } from './detect.ts';
export { DictionaryError, DictionarySchema, matcher, parseDictionary, RuleBook, type Dictionary } from './dictionary.ts';
export { fakeRange, maxFakeLength, preflight, type ColumnInfo } from './preflight.ts';
