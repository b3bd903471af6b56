/**
 * The metric catalog: collectors defined as data (the YAML files of this
 * folder, plus a user's folders), their loader and validation, and the pure
 * functions the agent and the server use on them.
 */
export * from './types.ts';
export { CatalogError, type CatalogProblem } from './errors.ts';
export { parseDuration } from './duration.ts';
export { parseCatalog, type CatalogFile } from './parse.ts';
export { loadCatalog, BUILTIN_CATALOG_DIR } from './load.ts';
export { selectVariant, collectorsForPreset, metricDefs, labelsOf } from './select.ts';
export { rowsToFamilies, toNumber } from './rows.ts';
export { renderMetricTable } from './docs.ts';
