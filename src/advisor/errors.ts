/** Error codes of the advisor. */
export const ADVISOR_ERROR_CODES = ['PGFLEET_ADVISOR_PROFILE', 'PGFLEET_ADVISOR_BOUNDS', 'PGFLEET_ADVISOR_DURABILITY'] as const;
export type AdvisorErrorCode = (typeof ADVISOR_ERROR_CODES)[number];

/** A profile the advisor cannot work from (every problem at once), or a rule that broke a guard. */
export class AdvisorError extends Error {
  override name = 'AdvisorError';
  readonly code: AdvisorErrorCode;
  readonly problems: string[];
  constructor(code: AdvisorErrorCode, problems: string[]) {
    super(problems.join('; '));
    this.code = code;
    this.problems = problems;
  }
}
