/** A PostgreSQL error as one line, with its SQLSTATE. */
export function describePgError(err: unknown): string {
  const e = err as { code?: string; message?: string; detail?: string };
  const state = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? ` [SQLSTATE ${e.code}]` : '';
  return `${e?.message ?? String(err)}${state}${e?.detail ? ` (${e.detail})` : ''}`;
}
