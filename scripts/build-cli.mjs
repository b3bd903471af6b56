#!/usr/bin/env node
// Bundles the pgfleet command into dist/cli/ (plain JavaScript, no TypeScript loader at run
// time): what an agent runs in production. tsx costs an agent about 50 MB of RSS (measured in
// bench/RESULTS.md); the bundle loads only the chunks of the command it runs.
// Catalog YAML, migrations and the console stay in src/ and web/dist: the banner points at src/.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/index.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Dependencies load from node_modules as they are (some read files beside themselves,
  // such as swagger-ui's assets); only pgfleet's TypeScript is bundled.
  packages: 'external',
  logLevel: 'warning',
  banner: {
    js: [
      "globalThis.__pgfleetSrc ??= new URL('../../src/', import.meta.url).href;",
    ].join('\n'),
  },
});
