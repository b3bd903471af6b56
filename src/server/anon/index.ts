// Anonymization jobs of the server (scan and masked copy of a registered instance's database).
export { AnonJobInputError, AnonJobService, type AnonJobRequest } from './anon-jobs.ts';
