export { adviseAndKeep, adviseFor, AdviceInputError, DEFAULT_ADVICE_PROFILE, profileProblems, runAdvisor, type AdviceInput } from './instance-advisor.ts';
export { workloadFromStore, type StatsSource } from './advisor-stats.ts';
