const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Milliseconds of a duration such as `15s`, `1m`, `500ms`, `1m30s` or `1.5s`;
 * undefined when the text is not one, or is zero.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  PART.lastIndex = 0;
  let ms = 0;
  while (PART.lastIndex < t.length) {
    const m = PART.exec(t);
    if (!m) return undefined;
    ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  return ms > 0 ? Math.round(ms) : undefined;
}
