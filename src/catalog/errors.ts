/** One thing wrong with one catalog file. */
export interface CatalogProblem {
  /** The file (path, or the name a caller gave it). */
  source: string;
  /** Dotted path of the field, e.g. `columns.xact_commit.usage`; '' for the whole file. */
  field: string;
  message: string;
}

/** The catalog cannot be used; `problems` lists every problem of every file, found in one pass. */
export class CatalogError extends Error {
  override name = 'CatalogError';
  readonly code = 'PGFLEET_CATALOG_INVALID';
  readonly problems: CatalogProblem[];
  constructor(problems: CatalogProblem[], options?: { cause?: unknown }) {
    super(formatProblems(problems), options);
    this.problems = problems;
  }
}

function formatProblems(problems: CatalogProblem[]): string {
  const lines = problems.map((p) => `  ${p.source}${p.field ? `: ${p.field}` : ''}: ${p.message}`);
  return `invalid metric catalog (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}
