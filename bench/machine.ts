import { cpus, totalmem } from 'node:os';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';

/** The machine a figure was measured on. */
export function machine(extra: Record<string, string> = {}): Record<string, string | number> {
  return { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, ram_gib: Math.round(totalmem() / 2 ** 30), node: process.version, ...extra };
}

/** Prints one JSON line per figure and appends the run to bench/RESULTS.md. */
export function record(bench: string, figures: Record<string, unknown>[], m: Record<string, unknown>, notes: string): void {
  for (const f of figures) process.stdout.write(`${JSON.stringify({ bench, ...f })}\n`);
  const file = new URL('./RESULTS.md', import.meta.url);
  if (!existsSync(file)) writeFileSync(file, '# Benchmark results\n\nAppended by each `npm run bench:*` run; newest last.\n');
  const lines = [
    '', `## ${bench} — ${new Date().toISOString()}`, '',
    `Machine: ${Object.entries(m).map(([k, v]) => `${k}=${v}`).join(', ')}`, '', notes, '',
    '```json', ...figures.map((f) => JSON.stringify(f)), '```',
  ];
  appendFileSync(file, `${lines.join('\n')}\n`);
}
