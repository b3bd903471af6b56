import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceUrl } from '../source-url.ts';
import { CatalogError, type CatalogProblem } from './errors.ts';
import { parseCatalog, type CatalogFile } from './parse.ts';
import type { CollectorDef } from './types.ts';

/** The folder of the built-in collector files (this module's folder). */
export const BUILTIN_CATALOG_DIR = fileURLToPath(sourceUrl('catalog/', import.meta.url, '../'));

const isCatalogFile = (name: string) => name.endsWith('.yaml') || name.endsWith('.yml');

/**
 * The built-in collectors plus those of the given folders (`--catalog-dir`),
 * in that order: a file with the id of a built-in collector replaces it.
 * Throws one CatalogError listing every problem of every file, including
 * folders that cannot be read.
 */
export function loadCatalog(dirs: string[] = []): CollectorDef[] {
  const problems: CatalogProblem[] = [];
  const files: CatalogFile[] = [];
  for (const dir of [BUILTIN_CATALOG_DIR, ...dirs]) {
    let names: string[];
    try {
      names = readdirSync(dir).filter(isCatalogFile).sort();
    } catch (err) {
      problems.push({ source: dir, field: '', message: `cannot read the folder: ${(err as Error).message}` });
      continue;
    }
    for (const name of names) {
      const source = join(dir, name);
      try {
        files.push({ source, text: readFileSync(source, 'utf8') });
      } catch (err) {
        problems.push({ source, field: '', message: `cannot read the file: ${(err as Error).message}` });
      }
    }
  }
  let defs: CollectorDef[] = [];
  try {
    defs = parseCatalog(files);
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length) throw new CatalogError(problems);
  return defs;
}
