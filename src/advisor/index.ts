// Configuration advisor: hardware, intent and (later) the measured workload in, recommendations with
// their evidence, guards and apply/rollback SQL out. Pure: no I/O, no imports from the rest of pgfleet.
export * from './types.ts';
export { advise, checkProfile, DURABILITY_RISKS, MEMORY_LIMIT_SHARE } from './advise.ts';
export { AdvisorError, ADVISOR_ERROR_CODES, type AdvisorErrorCode } from './errors.ts';
export { ADVICE_FORMATS, formatAdvice, type AdviceFormat } from './format.ts';
export { DEFAULT_CONNECTIONS } from './baseline.ts';
export { PG_SETTINGS, type SettingMeta } from './pg-settings.ts';
export { ADVISOR_SETTINGS } from './settings-list.ts';
export { refineFromWorkload, type WorkloadStats, type TableRecommendation, type RoleRecommendation } from './workload.ts';
export { formatBytes, formatMs, formatSize, parseSize, showValue } from './render.ts';
export { compareEffect, effectMeasures, meanOf, type EffectComparison, type EffectMeasure } from './effects.ts';
