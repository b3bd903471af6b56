/**
 * A file shipped beside the sources (catalog YAML, SQL migrations, the built console),
 * as a URL. Run from source, it is found from the calling module's own URL; in the
 * bundle (`npm run build:cli` → dist/cli/), every chunk sits in one folder, so the
 * bundle's banner sets `globalThis.__pgfleetSrc` to the src/ folder instead.
 * `selfToSrc` is the path from the calling module's folder to src/ (`../`).
 */
export function sourceUrl(path: string, selfUrl: string, selfToSrc: string): URL {
  const root = (globalThis as { __pgfleetSrc?: string }).__pgfleetSrc ?? new URL(selfToSrc, selfUrl).href;
  return new URL(path, root);
}
