#!/usr/bin/env node
// Runs every test file with Node's built-in runner (TypeScript through tsx):
// unit tests beside the code (src/**/*.test.ts, web/src/**/*.test.ts) and integration tests (test/**/*.test.ts).
// Node 20's --test does not expand globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'artifacts') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const only = process.argv.slice(2);
const files = only.length ? only : [...find('src'), ...find('web/src'), ...find('test')].sort();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
