// Data anonymization (pg_anon): masking rules, fakes and check digits. Pure: no I/O.
export * from './checksums.ts';
export * from './dictionaries.ts';
export * from './fakes.ts';
export { KeyedStream, keyedHash, streamFor } from './keyed.ts';
export { applyRule, MaskError, partial, pseudonym, RuleSchema, scrub, type MaskContext, type Rule } from './rules.ts';
export { FAKE_OF_KIND, kindFromName, kindOfValue, nameKindOfValue, sampleKinds, textHoldsPersonalData, SENSITIVE_KINDS, type SensitiveKind } from './detect.ts';
export { DictionaryError, DictionarySchema, matcher, parseDictionary, RuleBook, type Dictionary } from './dictionary.ts';
export { fakeRange, maxFakeLength, preflight, type ColumnInfo } from './preflight.ts';
export { decodeCopyField, encodeCopyField, lineMasker, maskCopyChunks, masksAnything } from './copy-text.ts';
export { findingOf, ruleForKind, type ColumnSample, type Confidence, type Finding } from './suggest.ts';
