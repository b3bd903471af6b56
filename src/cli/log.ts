/** One line per event on stderr: time, level, message. */
export function logLine(level: 'info' | 'warn' | 'error', msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${msg}\n`);
}
