/** The simulator's options are wrong; `problems` lists all of them. */
export class SimulateError extends Error {
  override name = 'SimulateError';
  readonly code = 'PGFLEET_SIMULATE_OPTIONS';
  constructor(readonly problems: string[], options?: { cause?: unknown }) {
    super(`invalid simulation options: ${problems.join('; ')}`, options);
  }
}
