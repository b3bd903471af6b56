/** Error codes of the explain module. */
export const EXPLAIN_ERROR_CODES = ['PGFLEET_EXPLAIN_EMPTY', 'PGFLEET_EXPLAIN_SYNTAX', 'PGFLEET_EXPLAIN_SHAPE', 'PGFLEET_EXPLAIN_TRUNCATED'] as const;
export type ExplainErrorCode = (typeof EXPLAIN_ERROR_CODES)[number];

/** Input that is not a plan PostgreSQL printed; the message says where (line, column) and what was expected. */
export class ExplainError extends Error {
  override name = 'ExplainError';
  readonly code: ExplainErrorCode;
  /** 1-based line and column of the problem, when it has one. */
  readonly line?: number;
  readonly column?: number;
  constructor(code: ExplainErrorCode, message: string, at?: { line: number; column: number }, options?: { cause?: unknown }) {
    super(at ? `line ${at.line}, column ${at.column}: ${message}` : message, options);
    this.code = code;
    if (at) { this.line = at.line; this.column = at.column; }
  }
}
